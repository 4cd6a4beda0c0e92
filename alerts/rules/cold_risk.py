"""Cold risk in winter: a room stays below a temperature for too long.

Elderly people living alone often do not heat the rooms they use; a cold home raises the risk
of hypothermia, strokes and heart attacks. The rule watches each climate sensor's temperature
in the winter months and raises when the coldest room stays below `cold_below_c` for
`cold_sustain_min` minutes; it clears once every room is a degree above the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from alerts.rules.base import iso, parse_iso, signal
from alerts.rules.heat_risk import STALE_AFTER, RoomClimate, note_reading, rooms_from_json
from alerts.rules.inactivity import zone_of
from alerts.signals import (
    AlertSignal,
    HouseholdProfile,
    Observation,
    ReadingObserved,
    RuleName,
    Severity,
    WatchSettings,
)

CLEAR_MARGIN = 1.0


@dataclass(frozen=True, slots=True)
class ColdRiskConfig:
    """The temperature a room must not stay below, for how long, and in which months."""

    below_c: float
    sustain: timedelta
    months: frozenset[int]
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> ColdRiskConfig:
        return cls(
            below_c=settings.cold_below_c,
            sustain=timedelta(minutes=settings.cold_sustain_min),
            months=frozenset(settings.cold_months),
            zone=zone_of(settings),
        )


@dataclass(slots=True)
class ColdRiskState:
    """Each room's climate, since when the home has been cold, and whether the alert is raised."""

    rooms: dict[str, RoomClimate] = field(default_factory=dict)
    cold_since: datetime | None = None
    raised: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "rooms": {device: climate.to_json() for device, climate in self.rooms.items()},
            "cold_since": iso(self.cold_since),
            "raised": self.raised,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ColdRiskState:
        if not data:
            return cls()
        return cls(
            rooms=rooms_from_json(data.get("rooms")),
            cold_since=parse_iso(data.get("cold_since")),
            raised=bool(data.get("raised", False)),
        )


class ColdRiskRule:
    """Raise when the coldest room stays below the threshold in winter; clear when it warms up."""

    name: ClassVar[RuleName] = RuleName.COLD_RISK

    def __init__(self, *, household_id: str, config: ColdRiskConfig, state: ColdRiskState) -> None:
        self.household_id = household_id
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> ColdRiskRule:
        """Build the rule for a household, restoring its saved state."""
        return cls(
            household_id=profile.household_id,
            config=ColdRiskConfig.from_settings(profile.settings),
            state=ColdRiskState.from_json(saved),
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        if not isinstance(observation, ReadingObserved) or note_reading(self.state.rooms, observation) is None:
            return []
        state = self.state
        coldest = self._coldest(now)
        if coldest is None:
            return []
        temperature = coldest[0]
        winter = now.astimezone(self.config.zone).month in self.config.months
        cold = winter and temperature < self.config.below_c
        state.cold_since = (state.cold_since or observation.ts) if cold else None
        if state.raised and temperature >= self.config.below_c + CLEAR_MARGIN:
            state.raised = False
            facts = {"temperature_c": round(temperature, 1)}
            return [signal(self.name, self.household_id, action="clear", severity=Severity.MEDIUM, at=now, facts=facts)]
        return []

    def tick(self, now: datetime) -> list[AlertSignal]:
        due = self.due_at()
        if due is None or due > now:
            return []
        coldest = self._coldest(now)
        if coldest is None:
            self.state.cold_since = None
            return []
        temperature, climate = coldest
        self.state.raised = True
        return [
            signal(
                self.name,
                self.household_id,
                action="raise",
                severity=Severity.MEDIUM,
                at=now,
                facts={
                    "temperature_c": round(temperature, 1),
                    "threshold_c": self.config.below_c,
                    "room": climate.room,
                    "since": iso(self.state.cold_since),
                },
            )
        ]

    def due_at(self) -> datetime | None:
        if self.state.raised or self.state.cold_since is None:
            return None
        return self.state.cold_since + self.config.sustain

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()

    def _coldest(self, now: datetime) -> tuple[float, RoomClimate] | None:
        fresh = [
            (climate.temperature_c, climate)
            for climate in self.state.rooms.values()
            if climate.temperature_c is not None and climate.at is not None and now - climate.at <= STALE_AFTER
        ]
        return min(fresh, key=lambda pair: pair[0]) if fresh else None
