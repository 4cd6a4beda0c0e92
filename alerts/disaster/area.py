"""Turn an area spec (polygons, circles, municipalities) into one geometry, lon/lat and metric."""

from __future__ import annotations

import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from alerts.disaster.model import AreaSpec, Language
from maps import (
    GeodataError,
    MunicipalityNames,
    geometry_from_plane,
    municipalities,
    municipality_boundary,
    municipality_names,
    to_plane,
)
from maps.targeting import area_in_plane


class AreaError(ValueError):
    """An area that cannot be turned into a geometry (bad ring, unknown municipality)."""


def area_geometry(spec: AreaSpec) -> BaseGeometry:
    """Return the area as one lon/lat geometry, without the buffer; empty when nothing maps to ground."""
    parts: list[BaseGeometry] = []
    for ring in spec.polygons:
        if len(ring) < 3:
            raise AreaError("a polygon needs at least three points")
        polygon = Polygon([(lon, lat) for lat, lon in ring])
        # a self-crossing ring drawn by hand still means the ground it encloses
        parts.append(polygon if polygon.is_valid else shapely.make_valid(polygon))
    for circle in spec.circles:
        if circle.radius_m < 0:
            raise AreaError("a circle's radius must not be negative")
        x, y = to_plane(circle.lat, circle.lon)
        # buffer in metres, then back to lon/lat: a circle of degrees would be an ellipse on the ground
        disc = Point(x, y).buffer(circle.radius_m, quad_segs=32) if circle.radius_m > 0 else Point(x, y)
        parts.append(geometry_from_plane(disc))
    for code in spec.municipalities:
        try:
            parts.append(municipality_boundary(code))
        except GeodataError as exc:
            raise AreaError(str(exc)) from None
    if not parts:
        return Polygon()
    return shapely.union_all(parts)


def area_plane(spec: AreaSpec) -> BaseGeometry:
    """Return the area in plane coordinates (metres), grown by its buffer."""
    return area_in_plane(area_geometry(spec), buffer_m=spec.buffer_m)


# How names are joined in a list, per language.
_SEPARATORS = {Language.JA: "・", Language.JA_EASY: "・", Language.EN: ", ", Language.ZH_HANS: "、", Language.KO: ", "}


def municipality_name(code: str, language: Language = Language.JA) -> str | None:
    """Return a municipality's name in a language (台東区 → "Taito City", 台东区, 다이토구, 台東区（たいとうく）)."""
    names: MunicipalityNames | None = municipality_names().get(code)
    if names is None:
        known = municipalities().get(code)
        return known.name if known is not None else None
    return {
        Language.JA: names.ja,
        Language.JA_EASY: f"{names.ja}（{names.reading}）",
        Language.EN: names.en,
        Language.ZH_HANS: names.zh_hans,
        Language.KO: names.ko,
    }[language]


def area_name(spec: AreaSpec, language: Language = Language.JA) -> str:
    """Return how people call the area in a language.

    In Japanese: the operator's description, else the municipalities' names. In the other
    languages the municipalities' names come first, since a description is written in Japanese;
    a drawn area with no municipality keeps its description.
    """
    names = [name for code in spec.municipalities if (name := municipality_name(code, language))]
    if spec.description and (language is Language.JA or not names):
        return spec.description
    return _SEPARATORS[language].join(names)
