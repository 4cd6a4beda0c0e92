"""Sensor silent: a sensor has sent nothing for too long while its gateway is online.

A motion sensor with a flat battery or knocked off the wall looks like an empty room; the
installer must hear of it before the watch quietly degrades. Time while the gateway itself is
away does not count (that is the gateway offline rule's business).

Sensors that report readings (climate, battery) report on a schedule, so `sensor_silent_after_hours`
of silence is a fault. A sensor that only reports events (a door contact, a PIR in a spare room)
may rightly stay silent for days: its limit is twice the longest silence it has shown, and at
least three times the setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from alerts.rules.base import (
    GatewayPresence,
    iso,
    latest,
    only_gateways,
    parse_iso,
    presences_from_json,
    presences_to_json,
    signal,
)
from alerts.signals import (
    AlertSignal,
    EventObserved,
    GatewayHeard,
    HouseholdProfile,
    Observation,
    ReadingObserved,
    RuleName,
    Severity,
    WatchSettings,
)

EVENT_ONLY_FACTOR = 3


@dataclass(frozen=True, slots=True)
class SensorSilentConfig:
    """How long a sensor may stay silent while its gateway is online."""

    silent_after: timedelta
    offline_after: timedelta

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> SensorSilentConfig:
        return cls(
            silent_after=timedelta(hours=settings.sensor_silent_after_hours),
            offline_after=timedelta(seconds=settings.gateway_offline_after_s),
        )


@dataclass(slots=True)
class SensorSilentState:
    """When each sensor (gateway/device) was last heard, the gateways, and the sensors raised."""

    sensors: dict[str, datetime] = field(default_factory=dict)
    rooms: dict[str, str] = field(default_factory=dict)
    gateways: dict[str, GatewayPresence] = field(default_factory=dict)
    raised: list[str] = field(default_factory=list)
    reporting: set[str] = field(default_factory=set)  # sensors that send readings on a schedule
    longest_h: dict[str, float] = field(default_factory=dict)  # longest silence seen, event-only sensors

    def to_json(self) -> dict[str, Any]:
        return {
            "sensors": {key: iso(at) for key, at in self.sensors.items()},
            "rooms": dict(self.rooms),
            "gateways": presences_to_json(self.gateways),
            "raised": list(self.raised),
            "reporting": sorted(self.reporting),
            "longest_h": dict(self.longest_h),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SensorSilentState:
        if not data:
            return cls()
        sensors = data.get("sensors")
        rooms = data.get("rooms")
        raised = data.get("raised")
        parsed = {str(k): parse_iso(v) for k, v in sensors.items()} if isinstance(sensors, dict) else {}
        reporting = data.get("reporting")
        longest = data.get("longest_h")
        return cls(
            reporting={str(key) for key in reporting} if isinstance(reporting, list) else set(),
            longest_h={str(k): float(v) for k, v in longest.items() if isinstance(v, int | float)}
            if isinstance(longest, dict)
            else {},
            sensors={key: at for key, at in parsed.items() if at is not None},
            rooms={str(k): str(v) for k, v in rooms.items()} if isinstance(rooms, dict) else {},
            gateways=presences_from_json(data.get("gateways")),
            raised=[str(key) for key in raised] if isinstance(raised, list) else [],
        )


class SensorSilentRule:
    """Raise when a sensor is silent past its limit while its gateway is online; clear when heard."""

    name: ClassVar[RuleName] = RuleName.SENSOR_SILENT

    def __init__(
        self, *, household_id: str, gateway_ids: frozenset[str], config: SensorSilentConfig, state: SensorSilentState
    ) -> None:
        self.household_id = household_id
        self.gateway_ids = gateway_ids
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> SensorSilentRule:
        """Build the rule for a household, restoring its saved state."""
        state = SensorSilentState.from_json(saved)
        state.gateways = only_gateways(state.gateways, profile.gateway_ids)
        return cls(
            household_id=profile.household_id,
            gateway_ids=profile.gateway_ids,
            config=SensorSilentConfig.from_settings(profile.settings),
            state=state,
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        state = self.state
        presence = state.gateways.setdefault(observation.gateway_id, GatewayPresence())
        presence.note(observation, now=now, offline_after=self.config.offline_after)
        if isinstance(observation, GatewayHeard):
            return []
        if not isinstance(observation, EventObserved | ReadingObserved):
            return []
        key = f"{observation.gateway_id}/{observation.device_id}"
        previous = state.sensors.get(key)
        if isinstance(observation, ReadingObserved):
            state.reporting.add(key)
        elif previous is not None and key not in state.raised and observation.ts > previous:
            silence = (observation.ts - max(previous, presence.back_at or previous)).total_seconds() / 3600
            if silence > state.longest_h.get(key, 0.0):
                state.longest_h[key] = silence
        state.sensors[key] = latest(previous, observation.ts) or observation.ts
        if observation.room:
            state.rooms[key] = observation.room
        if key not in state.raised:
            return []
        state.raised.remove(key)
        if state.raised:
            return []
        facts = {"device_id": observation.device_id, "back_at": iso(observation.ts)}
        return [signal(self.name, self.household_id, action="clear", severity=Severity.MEDIUM, at=now, facts=facts)]

    def tick(self, now: datetime) -> list[AlertSignal]:
        silent = [key for key in self.state.sensors if key not in self.state.raised and self._silent(key, now)]
        if not silent:
            return []
        self.state.raised.extend(silent)
        key = silent[0]
        facts = {
            "device_id": key.partition("/")[2],
            "gateway_id": key.partition("/")[0],
            "room": self.state.rooms.get(key),
            "last_seen_at": iso(self.state.sensors[key]),
            "silent_sensors": len(self.state.raised),
        }
        return [signal(self.name, self.household_id, action="raise", severity=Severity.MEDIUM, at=now, facts=facts)]

    def due_at(self) -> datetime | None:
        dues = [due for key in self.state.sensors if key not in self.state.raised if (due := self._due(key))]
        return min(dues) if dues else None

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()

    def _due(self, key: str) -> datetime | None:
        presence = self.state.gateways.get(key.partition("/")[0])
        if presence is None or presence.offline or presence.last_heard_at is None:
            return None
        basis = latest(self.state.sensors[key], presence.back_at, presence.started_at)
        if basis is None:
            return None
        if key in self.state.reporting:
            return basis + self.config.silent_after
        learned = timedelta(hours=2 * self.state.longest_h.get(key, 0.0))
        return basis + max(self.config.silent_after * EVENT_ONLY_FACTOR, learned)

    def _silent(self, key: str, now: datetime) -> bool:
        due = self._due(key)
        presence = self.state.gateways.get(key.partition("/")[0])
        healthy = presence is not None and presence.healthy(now=now, offline_after=self.config.offline_after)
        return due is not None and due <= now and healthy
