"""Safe zones of people who may wander: circles and polygons with active hours, in metres.

Each zone belongs to one tracker (the person who carries it) and is kept in plane coordinates
(EPSG:6677), so "outside by 40 m" is 40 m. `ZoneIndex` evaluates a batch of fixes at once:
every fix is paired with its own tracker's zones (a person has a handful, so the pairs are
known from ownership and need no spatial search), circles are plain numpy arithmetic and
polygons go through shapely 2's vectorized ``contains_xy`` and ``distance``. The answer per fix
is a signed distance to the nearest zone active at the fix's local time: negative inside (by
how much), positive outside, NaN when no zone of the tracker is active then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from maps.projection import geometry_from_plane, geometry_to_plane, to_plane
from maps.targeting import project_points

LOCAL_ZONE = ZoneInfo("Asia/Tokyo")
# a zone narrower than a phone's usual GPS accuracy cannot tell inside from outside
MIN_RADIUS_M = 30.0
MIN_AREA_M2 = float(np.pi * MIN_RADIUS_M**2)
# day-care centres and usual walks may lie just across the ward's line; farther is a mistake
SERVICE_AREA_MARGIN_M = 2_000.0


class ZoneKind(StrEnum):
    HOME = "home"  # leaving it at night is its own alert
    DAY_CARE = "day_care"
    WALK = "walk"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class SafeZone:
    """A circle (center + radius) or a polygon (lat, lon ring) where a person is safe, with active hours.

    `active_from`/`active_to` are local (Asia/Tokyo) times; both None means always active; a
    window may span midnight (22:00–07:00).
    """

    zone_id: str
    tracker_id: str
    name: str
    kind: ZoneKind = ZoneKind.OTHER
    center: tuple[float, float] | None = None
    radius_m: float | None = None
    polygon: tuple[tuple[float, float], ...] | None = None
    active_from: time | None = None
    active_to: time | None = None

    def __post_init__(self) -> None:
        circle = self.center is not None and self.radius_m is not None
        if circle == (self.polygon is not None):
            raise ValueError("a zone is either a circle (center, radius_m) or a polygon")
        if self.radius_m is not None and self.radius_m <= 0:
            raise ValueError("radius_m must be positive")
        if self.polygon is not None and len(self.polygon) < 3:
            raise ValueError("a polygon needs at least three corners")
        if (self.active_from is None) != (self.active_to is None):
            raise ValueError("active_from and active_to go together")

    @property
    def is_circle(self) -> bool:
        return self.polygon is None

    def plane_geometry(self) -> Polygon:
        """Return the zone in plane coordinates (metres)."""
        if self.center is not None and self.radius_m is not None:
            x, y = to_plane(*self.center)
            return Point(x, y).buffer(self.radius_m, quad_segs=16)
        assert self.polygon is not None
        lat = np.array([corner[0] for corner in self.polygon])
        lon = np.array([corner[1] for corner in self.polygon])
        xs, ys = project_points(lat, lon)
        return Polygon(np.column_stack([xs, ys]))

    def lonlat_geometry(self) -> Polygon:
        """Return the zone as a lon/lat polygon (for maps and GeoJSON)."""
        geometry = geometry_from_plane(self.plane_geometry())
        assert isinstance(geometry, Polygon)
        return geometry

    def active_minutes(self) -> tuple[int, int] | None:
        """Return the active window as minutes of the local day, or None when always active."""
        if self.active_from is None or self.active_to is None:
            return None
        return (
            self.active_from.hour * 60 + self.active_from.minute,
            self.active_to.hour * 60 + self.active_to.minute,
        )


class ZoneRejected(ValueError):
    """A zone the rules could not watch well; `code` names the reason for the pages to translate."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_zone_shape(zone: SafeZone, *, service_area: BaseGeometry | None = None) -> None:
    """Refuse a zone that is self-intersecting, too small, or away from the service area (lon/lat).

    The area is widened by `SERVICE_AREA_MARGIN_M`; a zone must touch the widened area.
    """
    plane = zone.plane_geometry()
    if zone.is_circle:
        if zone.radius_m is not None and zone.radius_m < MIN_RADIUS_M:
            raise ZoneRejected(
                "radius_too_small",
                f"the radius must be at least {MIN_RADIUS_M:.0f} m (GPS accuracy), not {zone.radius_m:g} m",
            )
    else:
        if not plane.is_valid:
            raise ZoneRejected("self_intersecting", f"the polygon crosses itself ({explain_validity(plane)})")
        if plane.area < MIN_AREA_M2:
            raise ZoneRejected(
                "area_too_small",
                f"the polygon covers {plane.area:.0f} m², less than a {MIN_RADIUS_M:.0f} m circle does",
            )
    if service_area is not None:
        widened = geometry_to_plane(service_area).buffer(SERVICE_AREA_MARGIN_M)
        if not widened.intersects(plane):
            raise ZoneRejected(
                "outside_area", f"the zone lies more than {SERVICE_AREA_MARGIN_M:.0f} m outside the ward's area"
            )


def local_minutes(epoch_s: NDArray[np.float64], *, reference: datetime) -> NDArray[np.float64]:
    """Return the local (Asia/Tokyo) minute of the day of each UNIX time."""
    offset = (reference.astimezone(LOCAL_ZONE).utcoffset() or timedelta()).total_seconds()
    return np.asarray(((epoch_s + offset) % 86400.0) / 60.0, dtype=np.float64)


class ZoneIndex:
    """All safe zones of many trackers, ready for batch evaluation of fixes."""

    def __init__(self, zones: Iterable[SafeZone], *, tracker_ids: Sequence[str] | None = None) -> None:
        """Index the zones; `tracker_ids` fixes the order of trackers (those without zones included)."""
        self.zones: list[SafeZone] = list(zones)
        if tracker_ids is None:
            tracker_ids = sorted({zone.tracker_id for zone in self.zones})
        else:
            tracker_ids = list(tracker_ids)
            missing = {zone.tracker_id for zone in self.zones} - set(tracker_ids)
            if missing:
                raise ValueError(f"zones of unknown trackers: {sorted(missing)}")
        self.tracker_ids = tracker_ids
        self.tracker_index = {tracker_id: index for index, tracker_id in enumerate(tracker_ids)}
        order = sorted(range(len(self.zones)), key=lambda i: self.tracker_index[self.zones[i].tracker_id])
        self.zones = [self.zones[i] for i in order]
        owners = np.array([self.tracker_index[zone.tracker_id] for zone in self.zones], dtype=np.int64)
        # CSR layout: the zones of tracker t are zones[start[t]:start[t + 1]]
        counts = (
            np.bincount(owners, minlength=len(tracker_ids))
            if len(owners)
            else np.zeros(len(tracker_ids), dtype=np.int64)
        )
        self._start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._count = counts.astype(np.int64)
        n = len(self.zones)
        self._is_circle = np.array([zone.is_circle for zone in self.zones], dtype=bool)
        self._cx = np.full(n, np.nan)
        self._cy = np.full(n, np.nan)
        self._radius = np.full(n, np.nan)
        self._polygons = np.empty(n, dtype=object)
        self._boundaries = np.empty(n, dtype=object)
        self._window = np.full((n, 2), -1.0)
        circles = [i for i, zone in enumerate(self.zones) if zone.is_circle]
        if circles:
            lat = np.array([self.zones[i].center[0] for i in circles])  # type: ignore[index]
            lon = np.array([self.zones[i].center[1] for i in circles])  # type: ignore[index]
            self._cx[circles], self._cy[circles] = project_points(lat, lon)
            self._radius[circles] = [self.zones[i].radius_m for i in circles]
        for i, zone in enumerate(self.zones):
            if not zone.is_circle:
                polygon = zone.plane_geometry()
                shapely.prepare(polygon)
                self._polygons[i] = polygon
                self._boundaries[i] = polygon.boundary
            window = zone.active_minutes()
            if window is not None:
                self._window[i] = window

    def __len__(self) -> int:
        return len(self.zones)

    def zones_of(self, tracker_id: str) -> list[SafeZone]:
        """Return the zones of one tracker."""
        index = self.tracker_index.get(tracker_id)
        if index is None:
            return []
        return self.zones[self._start[index] : self._start[index + 1]]

    def signed_distance(
        self,
        tracker: NDArray[np.int64],
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        minute_of_day: NDArray[np.float64],
        *,
        exact: bool = True,
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Return, per fix, the signed distance (m) to the nearest active zone and that zone's index.

        `tracker` holds indexes into `tracker_ids`; fixes of trackers without zones, or with no
        zone active at that minute, get NaN and zone index -1. With ``exact=False`` a fix inside
        a zone may get 0 instead of its depth (the rules only ask "inside or how far out"), which
        saves the polygon work for fixes already inside a circle.
        """
        fixes = len(tracker)
        best = np.full(fixes, np.nan)
        best_zone = np.full(fixes, -1, dtype=np.int64)
        if fixes == 0 or not self.zones:
            return best, best_zone
        counts = self._count[tracker]
        # one row per (fix, zone of its tracker); rows of one fix are contiguous
        fix_of_pair = np.repeat(np.arange(fixes), counts)
        group_start = np.cumsum(counts) - counts
        zone_of_pair = np.repeat(self._start[tracker] - group_start, counts) + np.arange(len(fix_of_pair))
        if np.all(minute_of_day == minute_of_day[0]):
            # one round of fixes shares its minute: decide each zone's hours once, not per pair
            active = self._active_at(np.full(len(self.zones), minute_of_day[0]), self._window)[zone_of_pair]
        else:
            active = self._active_at(minute_of_day[fix_of_pair], self._window[zone_of_pair])
        distance = np.full(len(zone_of_pair), np.nan)
        circle = self._is_circle[zone_of_pair] & active
        cz = zone_of_pair[circle]
        cf = fix_of_pair[circle]
        distance[circle] = np.hypot(x[cf] - self._cx[cz], y[cf] - self._cy[cz]) - self._radius[cz]
        polygon = ~self._is_circle[zone_of_pair] & active
        if polygon.any():
            if not exact:
                # a fix already inside a circle is inside: its polygons cannot change the verdict
                inside_circle = np.zeros(fixes, dtype=bool)
                inside_circle[cf[distance[circle] <= 0]] = True
                polygon &= ~inside_circle[fix_of_pair]
            rows = np.flatnonzero(polygon)
            pz, pf = zone_of_pair[rows], fix_of_pair[rows]
            gx, gy = x[pf], y[pf]
            inside = shapely.contains_xy(self._polygons[pz], gx, gy)
            signed = np.zeros(len(rows))
            out = ~inside
            if out.any():
                signed[out] = shapely.distance(self._polygons[pz[out]], shapely.points(gx[out], gy[out]))
            if exact and inside.any():
                points = shapely.points(gx[inside], gy[inside])
                signed[inside] = -shapely.distance(self._boundaries[pz[inside]], points)
            distance[rows] = signed
        # the nearest active zone per fix: the minimum over each fix's contiguous rows
        has_rows = counts > 0
        if not has_rows.any():
            return best, best_zone
        with np.errstate(invalid="ignore"):
            mins = np.fmin.reduceat(distance, group_start[has_rows]) if len(distance) else np.zeros(0)
        best[has_rows] = mins
        hit = np.flatnonzero(distance == best[fix_of_pair])
        first_fix, first_row = np.unique(fix_of_pair[hit], return_index=True)
        best_zone[first_fix] = zone_of_pair[hit[first_row]]
        return best, best_zone

    @staticmethod
    def _active_at(minute: NDArray[np.float64], window: NDArray[np.float64]) -> NDArray[np.bool_]:
        start, end = window[:, 0], window[:, 1]
        within = np.where(start <= end, (minute >= start) & (minute < end), (minute >= start) | (minute < end))
        return np.asarray((start < 0) | within)

    def signed_distance_latlon(
        self, tracker_ids: Sequence[str], lat: Sequence[float], lon: Sequence[float], when: Sequence[datetime]
    ) -> list[float | None]:
        """Return the signed distance (m) for fixes given in WGS84; None for unknown trackers or no active zone."""
        known = [self.tracker_index.get(tracker_id, -1) for tracker_id in tracker_ids]
        mask = np.array([index >= 0 for index in known], dtype=bool)
        result: list[float | None] = [None] * len(known)
        if not mask.any():
            return result
        x, y = project_points(np.asarray(lat, dtype=np.float64)[mask], np.asarray(lon, dtype=np.float64)[mask])
        epoch = np.array([moment.timestamp() for moment, keep in zip(when, mask, strict=True) if keep])
        minutes = local_minutes(epoch, reference=when[0])
        tracker = np.array([index for index in known if index >= 0], dtype=np.int64)
        distance, _zone = self.signed_distance(tracker, x, y, minutes)
        for slot, value in zip(np.flatnonzero(mask), distance, strict=True):
            result[int(slot)] = None if np.isnan(value) else float(value)
        return result


def minutes_of(moment: time) -> int:
    """Return the minute of the day of a local time."""
    return moment.hour * 60 + moment.minute
