"""Metric geometry: lon/lat ↔ Japan Plane Rectangular CS IX (EPSG:6677), distances in metres.

Tokyo lies in zone IX of the plane rectangular system, where one unit is one metre and the
distortion across the 23 wards is far below a metre, so buffers and distances are honest
there; degrees are never used as a length.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
JGD2011_PLANE_IX = "EPSG:6677"

LatLon = tuple[float, float]


@lru_cache(maxsize=1)
def _forward() -> Transformer:
    return Transformer.from_crs(WGS84, JGD2011_PLANE_IX, always_xy=True)


@lru_cache(maxsize=1)
def _inverse() -> Transformer:
    return Transformer.from_crs(JGD2011_PLANE_IX, WGS84, always_xy=True)


def to_plane(lat: float, lon: float) -> tuple[float, float]:
    """Project a WGS84 point to plane coordinates (x = easting, y = northing), in metres."""
    x, y = _forward().transform(lon, lat)
    return float(x), float(y)


def from_plane(x: float, y: float) -> LatLon:
    """Turn plane coordinates (metres) back into (lat, lon)."""
    lon, lat = _inverse().transform(x, y)
    return float(lat), float(lon)


def geometry_to_plane(geometry: BaseGeometry) -> BaseGeometry:
    """Project a lon/lat shapely geometry into plane coordinates (metres)."""
    return shapely.transform(geometry, _transform_with(_forward()))


def geometry_from_plane(geometry: BaseGeometry) -> BaseGeometry:
    """Turn a plane-coordinate shapely geometry back into lon/lat."""
    return shapely.transform(geometry, _transform_with(_inverse()))


def distance_m(a: LatLon, b: LatLon) -> float:
    """Return the distance in metres between two (lat, lon) points."""
    ax, ay = to_plane(*a)
    bx, by = to_plane(*b)
    return float(np.hypot(ax - bx, ay - by))


def _transform_with(transformer: Transformer) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    def apply(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return apply
