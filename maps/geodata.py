"""The geodata mimamori ships: Tokyo's municipal boundaries and Taito City's shelters.

Files live in maps/data/ (credits in its README). Coordinates in the files are lon/lat;
everything this module hands out as a point is (lat, lon).
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

DATA_DIR = Path(__file__).parent / "data"
MUNICIPALITIES_FILE = DATA_DIR / "tokyo_municipalities_n03_2021.geojson"
SHELTERS_FILE = DATA_DIR / "taito_evacuation_shelters.geojson"
EMERGENCY_SITES_FILE = DATA_DIR / "taito_emergency_sites.geojson"
MUNICIPALITY_NAMES_FILE = DATA_DIR / "tokyo_municipality_names.csv"

TAITO_CITY = "13106"

LatLon = tuple[float, float]


class Hazard(StrEnum):
    """A hazard an emergency evacuation site may be designated for (GSI's eight kinds)."""

    FLOOD = "flood"
    LANDSLIDE = "landslide"
    STORM_SURGE = "storm_surge"
    EARTHQUAKE = "earthquake"
    TSUNAMI = "tsunami"
    LARGE_FIRE = "large_fire"
    INLAND_FLOOD = "inland_flood"
    VOLCANO = "volcano"


# GSI's column names for the hazard flags ("1" = suitable).
HAZARD_COLUMNS: dict[str, Hazard] = {
    "洪水": Hazard.FLOOD,
    "崖崩れ、土石流及び地滑り": Hazard.LANDSLIDE,
    "高潮": Hazard.STORM_SURGE,
    "地震": Hazard.EARTHQUAKE,
    "津波": Hazard.TSUNAMI,
    "大規模な火事": Hazard.LARGE_FIRE,
    "内水氾濫": Hazard.INLAND_FLOOD,
    "火山現象": Hazard.VOLCANO,
}


class GeodataError(LookupError):
    """Asked for geodata that is not shipped."""


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name: str
    boundary: Polygon | MultiPolygon


@dataclass(frozen=True, slots=True)
class MunicipalityNames:
    """How a municipality is called in each alert language (see maps/data/README.md for the sources)."""

    code: str
    ja: str
    reading: str  # in hiragana, for やさしい日本語: 台東区（たいとうく）
    en: str
    zh_hans: str
    ko: str


@dataclass(frozen=True, slots=True)
class Shelter:
    """A designated shelter (指定避難所) or emergency evacuation site (指定緊急避難場所)."""

    id: str
    name: str
    address: str
    lat: float
    lon: float
    hazards: frozenset[Hazard] = frozenset()
    remarks: str = ""


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        data: dict[str, Any] = json.load(stream)
    return data


@lru_cache(maxsize=1)
def municipalities() -> dict[str, Municipality]:
    """Return Tokyo's municipalities by code (N03_007)."""
    found: dict[str, Municipality] = {}
    for feature in _load(MUNICIPALITIES_FILE)["features"]:
        props = feature["properties"]
        code = props.get("N03_007")
        if not code:
            continue  # the file has one unassigned area without a code
        geometry = shape(feature["geometry"])
        if not isinstance(geometry, Polygon | MultiPolygon):
            continue
        if code in found:
            merged = shapely.union(found[code].boundary, geometry)
            geometry = merged if isinstance(merged, Polygon | MultiPolygon) else geometry
        found[code] = Municipality(code=code, name=str(props.get("N03_004") or ""), boundary=geometry)
    return found


def municipality_boundary(code: str) -> Polygon | MultiPolygon:
    """Return the boundary (lon/lat) of a Tokyo municipality by its code, e.g. "13106" for Taito City."""
    try:
        boundary = municipalities()[code].boundary
    except KeyError:
        raise GeodataError(f"no municipality with code {code!r}") from None
    shapely.prepare(boundary)
    return boundary


@lru_cache(maxsize=1)
def municipality_names() -> dict[str, MunicipalityNames]:
    """Return the names of Tokyo's municipalities in each alert language, by code (N03_007)."""
    with MUNICIPALITY_NAMES_FILE.open(encoding="utf-8", newline="") as stream:
        return {
            row["code"]: MunicipalityNames(
                code=row["code"],
                ja=row["ja"],
                reading=row["reading"],
                en=row["en"],
                zh_hans=row["zh_hans"],
                ko=row["ko"],
            )
            for row in csv.DictReader(stream)
        }


def _shelters_from(path: Path) -> tuple[Shelter, ...]:
    shelters = []
    for feature in _load(path)["features"]:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        hazards = frozenset(hazard for column, hazard in HAZARD_COLUMNS.items() if props.get(column) == "1")
        shelters.append(
            Shelter(
                id=str(props["共通ID"]),
                name=str(props["施設・場所名"]),
                address=str(props.get("住所") or ""),
                lat=float(lat),
                lon=float(lon),
                hazards=hazards,
                remarks=str(props.get("備考") or ""),
            )
        )
    return tuple(shelters)


@lru_cache(maxsize=1)
def evacuation_shelters() -> tuple[Shelter, ...]:
    """Return Taito City's designated shelters (指定避難所)."""
    return _shelters_from(SHELTERS_FILE)


@lru_cache(maxsize=1)
def emergency_sites() -> tuple[Shelter, ...]:
    """Return Taito City's emergency evacuation sites (指定緊急避難場所) with their hazards."""
    return _shelters_from(EMERGENCY_SITES_FILE)


def random_points_within(polygon: BaseGeometry, n: int, *, seed: int | None) -> list[LatLon]:
    """Return `n` random (lat, lon) points inside a lon/lat polygon; the same seed gives the same points."""
    if n < 0:
        raise ValueError("n must not be negative")
    if polygon.is_empty or polygon.area == 0:
        raise ValueError("polygon has no area to place points in")
    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    points: list[LatLon] = []
    # Rejection sampling in the bounding box: uniform in degrees, which over a ward's few
    # kilometres is as good as uniform on the ground.
    while len(points) < n:
        lon = rng.uniform(min_lon, max_lon)
        lat = rng.uniform(min_lat, max_lat)
        if polygon.contains(shapely.Point(lon, lat)):
            points.append((lat, lon))
    return points
