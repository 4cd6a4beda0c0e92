"""Turn an area spec (polygons, circles, municipalities) into one geometry, lon/lat and metric."""

from __future__ import annotations

import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from alerts.disaster.model import AreaSpec
from maps import GeodataError, geometry_from_plane, municipalities, municipality_boundary, to_plane
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


def area_name(spec: AreaSpec) -> str:
    """Return how people call the area: its description, or the municipalities' names."""
    if spec.description:
        return spec.description
    known = municipalities()
    names = [known[code].name for code in spec.municipalities if code in known]
    return "・".join(names)
