"""Trackers people carry, sending through their home gateway: GPS fixes of walkers, BLE tag presence.

A `WalkingTrackers` moves the people of a `WandererFleet` on an injected clock and turns each
round into `LocationFix` messages (source ``gps``) of their tracker, with the fleet's noise and
dropouts; a wander can be scripted (`wander`). A `TagAtHome` is a BLE tag lying at home: its
gateway says "home" once and then reports a fix at the home's place now and then, as the edge
agent's scanner does. Both are *companions* of a `SimulatedHousehold` (`carry`): the household
publishes what they have due over its own MQTT connection, so the broker sees one client per
gateway, as with real gateways, and nothing goes out while the gateway has no power.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from protocol import LocationFix, LocationSource, Presence, PresenceState, TopicKind, encode, new_message_id
from simulators.wanderer import WandererConfig, WandererFleet, lonlat_to_plane, plane_to_lonlat


class Companion(Protocol):
    """A device that sends through a household's gateway: what it has due up to `now`."""

    def messages_due(self, now: datetime) -> list[tuple[TopicKind, bytes]]: ...


@dataclass(frozen=True, slots=True)
class CarriedTracker:
    """A GPS tracker a person carries: the gateway and device ids in its fixes, and their home."""

    gateway_id: str
    device_id: str
    home_lat: float
    home_lon: float


class WalkingTrackers:
    """People walking around their homes with GPS trackers, on a clock; see the module docstring."""

    def __init__(
        self,
        trackers: Sequence[CarriedTracker],
        *,
        start: datetime,
        config: WandererConfig | None = None,
        seed: int = 1,
        battery_pct: float = 80.0,
    ) -> None:
        self.trackers = list(trackers)
        self.start = start
        x, y = lonlat_to_plane(
            np.array([t.home_lat for t in self.trackers]), np.array([t.home_lon for t in self.trackers])
        )
        self.fleet = WandererFleet(x, y, config=config, seed=seed)
        self.battery_pct = battery_pct
        self._pending: list[list[LocationFix]] = [[] for _ in self.trackers]
        self._lock = threading.Lock()

    def wander(self, index: int, *, at: datetime, bearing_deg: float, distance_m: float, back_at: datetime) -> None:
        """Script a wander: from `at`, walk `distance_m` towards a bearing (0 = north), stay there until `back_at`."""
        with self._lock:
            self._advance(at)
            radians = math.radians(bearing_deg)
            self.fleet.send_away(
                index,
                dx_m=distance_m * math.sin(radians),
                dy_m=distance_m * math.cos(radians),
                come_back_at_s=(back_at - self.start).total_seconds(),
            )

    def companion(self, index: int) -> Companion:
        """Return the tracker of one person as a companion of their household."""
        return _WalkerCompanion(self, index)

    def position(self, index: int) -> tuple[float, float]:
        """Return where a person really is now (lat, lon), without GPS noise."""
        with self._lock:
            lat, lon = plane_to_lonlat(self.fleet.x[index : index + 1], self.fleet.y[index : index + 1])
        return float(lat[0]), float(lon[0])

    def distance_from_home_m(self, index: int) -> float:
        """Return how far from home a person really is (m)."""
        with self._lock:
            return float(self.fleet.true_distance()[index])

    def take(self, index: int, now: datetime) -> list[LocationFix]:
        """Walk everyone up to `now`; return (and forget) the fixes of one tracker."""
        with self._lock:
            self._advance(now)
            fixes, self._pending[index] = self._pending[index], []
        return fixes

    def _advance(self, now: datetime) -> None:
        step = timedelta(seconds=self.fleet.config.fix_every_s)
        while self.start + timedelta(seconds=self.fleet.t_s) + step <= now:
            batch = self.fleet.step()
            at = self.start + timedelta(seconds=batch.t_s)
            lat, lon = plane_to_lonlat(batch.x, batch.y)
            for row, walker in enumerate(batch.walker.tolist()):
                tracker = self.trackers[walker]
                self._pending[walker].append(
                    LocationFix(
                        msg_id=new_message_id(),
                        gateway_id=tracker.gateway_id,
                        ts=at,
                        device_id=tracker.device_id,
                        lat=round(float(lat[row]), 6),
                        lon=round(float(lon[row]), 6),
                        accuracy_m=float(batch.accuracy_m[row]),
                        source=LocationSource.GPS,
                        battery_pct=self.battery_pct,
                    )
                )


class _WalkerCompanion:
    def __init__(self, walks: WalkingTrackers, index: int) -> None:
        self._walks = walks
        self._index = index

    def messages_due(self, now: datetime) -> list[tuple[TopicKind, bytes]]:
        return [(TopicKind.LOCATION, encode(fix)) for fix in self._walks.take(self._index, now)]


class TagAtHome:
    """A BLE tag that stays at home: "home" once, then a fix at the home's place every `report_every`."""

    def __init__(
        self,
        *,
        gateway_id: str,
        device_id: str,
        lat: float,
        lon: float,
        start: datetime,
        report_every: timedelta = timedelta(minutes=5),
        home_radius_m: float = 30.0,
        battery_pct: float = 90.0,
    ) -> None:
        self.gateway_id = gateway_id
        self.device_id = device_id
        self.lat, self.lon = lat, lon
        self.report_every = report_every
        self.home_radius_m = home_radius_m
        self.battery_pct = battery_pct
        self._said_home = False
        self._next_fix = start

    def messages_due(self, now: datetime) -> list[tuple[TopicKind, bytes]]:
        """Say "home" the first time, then a fix at home whenever one is due."""
        due: list[tuple[TopicKind, bytes]] = []
        if not self._said_home and now >= self._next_fix:
            self._said_home = True
            presence = Presence(
                msg_id=new_message_id(),
                gateway_id=self.gateway_id,
                ts=now,
                device_id=self.device_id,
                state=PresenceState.HOME,
                last_heard=now,
                rssi_dbm=-62.0,
                battery_pct=self.battery_pct,
            )
            due.append((TopicKind.PRESENCE, encode(presence)))
        while self._next_fix <= now:
            fix = LocationFix(
                msg_id=new_message_id(),
                gateway_id=self.gateway_id,
                ts=self._next_fix,
                device_id=self.device_id,
                lat=self.lat,
                lon=self.lon,
                accuracy_m=self.home_radius_m,
                source=LocationSource.BLE,
                battery_pct=self.battery_pct,
            )
            due.append((TopicKind.LOCATION, encode(fix)))
            self._next_fix += self.report_every
        return due
