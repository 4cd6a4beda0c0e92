"""Which registered locations lie inside an alert area: a grid index over plane coordinates (metres).

A cell wholly inside the area accepts all its points without a test; a cell wholly outside is
skipped; only points in cells the boundary crosses are tested one by one with shapely's
vectorized `intersects_xy` (so points on the boundary count as inside). The result is exact:
the grid only decides which points need the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from maps.projection import JGD2011_PLANE_IX, WGS84, geometry_to_plane

DEFAULT_CELL_M = 50.0


@lru_cache(maxsize=1)
def _forward() -> Transformer:
    return Transformer.from_crs(WGS84, JGD2011_PLANE_IX, always_xy=True)


def project_points(
    lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project arrays of WGS84 points to plane coordinates (x, y) in metres, EPSG:6677."""
    x, y = _forward().transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def area_in_plane(area_lonlat: BaseGeometry, *, buffer_m: float = 0.0) -> BaseGeometry:
    """Project a lon/lat area to metres and grow it by `buffer_m` (never a buffer in degrees)."""
    plane = geometry_to_plane(area_lonlat)
    if buffer_m > 0:
        plane = plane.buffer(buffer_m, quad_segs=16)
    return plane


@dataclass(frozen=True, slots=True)
class _Ranges:
    starts: NDArray[np.int64]
    counts: NDArray[np.int64]


def _gather(ranges: _Ranges) -> NDArray[np.int64]:
    """Return the positions start..start+count-1 of every range, concatenated."""
    counts = ranges.counts
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    # offsets within each range, built without a Python loop
    ends = np.cumsum(counts)
    base = np.repeat(ranges.starts - (ends - counts), counts)
    return base + np.arange(total, dtype=np.int64)


class LocationIndex:
    """A grid index of points in plane coordinates; `within(area)` returns the keys inside."""

    def __init__(
        self,
        keys: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        *,
        cell_m: float = DEFAULT_CELL_M,
    ) -> None:
        if not (len(keys) == len(x) == len(y)):
            raise ValueError("keys, x and y must have the same length")
        if cell_m <= 0:
            raise ValueError("cell_m must be positive")
        self.cell_m = float(cell_m)
        keys = np.asarray(keys, dtype=np.int64)
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        finite = np.isfinite(x) & np.isfinite(y)
        keys, x, y = keys[finite], x[finite], y[finite]
        if len(x):
            self._x0, self._y0 = float(x.min()), float(y.min())
            self._nx = int((x.max() - self._x0) // cell_m) + 1
            self._ny = int((y.max() - self._y0) // cell_m) + 1
        else:
            self._x0 = self._y0 = 0.0
            self._nx = self._ny = 1
        cells = self._cells_of(x, y)
        order = np.argsort(cells, kind="stable")
        self._keys = keys[order]
        self._x = x[order]
        self._y = y[order]
        counts = np.bincount(cells, minlength=self._nx * self._ny).astype(np.int64)
        self._counts = counts
        self._starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)

    @classmethod
    def from_latlon(
        cls,
        keys: NDArray[np.int64],
        lat: NDArray[np.float64],
        lon: NDArray[np.float64],
        *,
        cell_m: float = DEFAULT_CELL_M,
    ) -> LocationIndex:
        """Build the index from WGS84 points."""
        x, y = project_points(lat, lon)
        return cls(keys, x, y, cell_m=cell_m)

    def __len__(self) -> int:
        return len(self._keys)

    def _cells_of(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.int64]:
        ix = ((x - self._x0) // self.cell_m).astype(np.int64)
        iy = ((y - self._y0) // self.cell_m).astype(np.int64)
        return iy * self._nx + ix

    def within(self, area_plane: BaseGeometry) -> NDArray[np.int64]:
        """Return the keys of the points inside `area_plane` or on its boundary (plane coordinates)."""
        if len(self._keys) == 0 or area_plane.is_empty:
            return np.empty(0, dtype=np.int64)
        positions = self.positions_within(area_plane)
        return self._keys[positions]

    def positions_within(self, area_plane: BaseGeometry) -> NDArray[np.int64]:
        """Return the positions (in index order) of the points inside `area_plane` or on its boundary."""
        cell = self.cell_m
        min_x, min_y, max_x, max_y = area_plane.bounds
        ix0 = max(int((min_x - self._x0) // cell), 0)
        iy0 = max(int((min_y - self._y0) // cell), 0)
        ix1 = min(int((max_x - self._x0) // cell), self._nx - 1)
        iy1 = min(int((max_y - self._y0) // cell), self._ny - 1)
        if ix0 > ix1 or iy0 > iy1:
            return np.empty(0, dtype=np.int64)
        wx, wy = ix1 - ix0 + 1, iy1 - iy0 + 1

        # Cells the boundary passes through: sample the boundary at most half a cell apart and
        # mark each sample's cell and its eight neighbours, so a segment that only grazes a
        # cell's corner still marks it. Marking too many is harmless (they are tested exactly).
        boundary = np.zeros((wy, wx), dtype=bool)
        rings = shapely.get_coordinates(shapely.segmentize(shapely.boundary(area_plane), cell / 2))
        if len(rings):
            bx = ((rings[:, 0] - self._x0) // cell).astype(np.int64) - ix0
            by = ((rings[:, 1] - self._y0) // cell).astype(np.int64) - iy0
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    cx, cy = bx + dx, by + dy
                    keep = (cx >= 0) & (cx < wx) & (cy >= 0) & (cy < wy)
                    boundary[cy[keep], cx[keep]] = True

        # Every other cell lies wholly inside or wholly outside: its centre tells which.
        shapely.prepare(area_plane)
        gy, gx = np.nonzero(~boundary)
        centre_x = self._x0 + (gx + ix0 + 0.5) * cell
        centre_y = self._y0 + (gy + iy0 + 0.5) * cell
        inside = shapely.contains_xy(area_plane, centre_x, centre_y)
        inner_cells = (gy[inside] + iy0) * self._nx + (gx[inside] + ix0)
        by_, bx_ = np.nonzero(boundary)
        edge_cells = (by_ + iy0) * self._nx + (bx_ + ix0)

        accepted = _gather(_Ranges(self._starts[inner_cells], self._counts[inner_cells]))
        candidates = _gather(_Ranges(self._starts[edge_cells], self._counts[edge_cells]))
        if len(candidates):
            hit = shapely.intersects_xy(area_plane, self._x[candidates], self._y[candidates])
            accepted = np.concatenate((accepted, candidates[hit]))
        return accepted


Points = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]  # keys, lat, lon


class TargetingCache:
    """Location indexes kept between previews and fan-outs, each rebuilt only when its points changed.

    A kind of points ("homes", "live", …) is dropped by `invalidate(kind)` after a write that
    moved, added or removed one (call it after the write commits), or rebuilt when the `version`
    its caller passes differs from the one it was built at (for data written elsewhere, where a
    cheap fingerprint tells a change). An index whose kind was invalidated while it was being
    built is used once and not kept, so a write is never hidden by a build that read before it.
    """

    def __init__(self, *, cell_m: float = DEFAULT_CELL_M) -> None:
        self.cell_m = cell_m
        self.builds = 0  # how many indexes were built (tests and the benchmark read it)
        self._lock = threading.Lock()
        self._indexes: dict[str, tuple[Hashable, LocationIndex]] = {}
        self._generations: dict[str, int] = {}

    def index(self, kind: str, load: Callable[[], Points], *, version: Hashable = None) -> LocationIndex:
        """Return the index of one kind of points, building it from `load()` when missing or stale."""
        with self._lock:
            kept = self._indexes.get(kind)
            if kept is not None and kept[0] == version:
                return kept[1]
            generation = self._generations.setdefault(kind, 0)
        keys, lat, lon = load()
        index = LocationIndex.from_latlon(keys, lat, lon, cell_m=self.cell_m)
        with self._lock:
            self.builds += 1
            if self._generations.get(kind) == generation:
                self._indexes[kind] = (version, index)
        return index

    def invalidate(self, *kinds: str) -> None:
        """Forget the indexes of these kinds (all kinds when none is named)."""
        with self._lock:
            for kind in kinds or tuple(self._generations):
                self._generations[kind] = self._generations.get(kind, 0) + 1
                self._indexes.pop(kind, None)


def keys_within(index: LocationIndex, area_lonlat: BaseGeometry, *, buffer_m: float = 0.0) -> set[int]:
    """Return the keys of the points inside a lon/lat area grown by `buffer_m` metres."""
    return {int(key) for key in index.within(area_in_plane(area_lonlat, buffer_m=buffer_m))}
