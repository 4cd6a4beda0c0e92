"""Low battery: a sensor reports its battery below the threshold (battery_pct readings).

Batteries run down over months; replacing one in time keeps the watch whole. The alert clears
when every low sensor reports a battery comfortably above the threshold again (replaced).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from alerts.rules.base import iso, signal
from alerts.signals import (
    AlertSignal,
    HouseholdProfile,
    Observation,
    ReadingObserved,
    RuleName,
    Severity,
    WatchSettings,
)

BATTERY = "battery_pct"
# A new battery reads well above the threshold; a dying one hovers around it.
REPLACED_MARGIN = 10.0


@dataclass(frozen=True, slots=True)
class LowBatteryConfig:
    """The battery percentage below which a sensor needs a new battery."""

    below_pct: float

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> LowBatteryConfig:
        return cls(below_pct=settings.low_battery_pct)


@dataclass(slots=True)
class LowBatteryState:
    """The sensors whose battery is low, with the last level read."""

    low: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"low": dict(self.low)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LowBatteryState:
        low = (data or {}).get("low")
        if not isinstance(low, dict):
            return cls()
        return cls(low={str(k): float(v) for k, v in low.items() if isinstance(v, int | float)})


class LowBatteryRule:
    """Raise when a sensor's battery is low; clear when every low one has been replaced."""

    name: ClassVar[RuleName] = RuleName.LOW_BATTERY

    def __init__(self, *, household_id: str, config: LowBatteryConfig, state: LowBatteryState) -> None:
        self.household_id = household_id
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> LowBatteryRule:
        """Build the rule for a household, restoring its saved state."""
        return cls(
            household_id=profile.household_id,
            config=LowBatteryConfig.from_settings(profile.settings),
            state=LowBatteryState.from_json(saved),
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        if not isinstance(observation, ReadingObserved) or observation.metric != BATTERY:
            return []
        key = f"{observation.gateway_id}/{observation.device_id}"
        low = self.state.low
        if observation.value < self.config.below_pct:
            first = key not in low
            low[key] = observation.value
            if not first:
                return []
            facts = {
                "device_id": observation.device_id,
                "room": observation.room,
                "battery_pct": round(observation.value),
                "at": iso(observation.ts),
            }
            return [signal(self.name, self.household_id, action="raise", severity=Severity.LOW, at=now, facts=facts)]
        if key in low and observation.value >= self.config.below_pct + REPLACED_MARGIN:
            del low[key]
            if not low:
                facts = {"device_id": observation.device_id, "battery_pct": round(observation.value)}
                return [
                    signal(self.name, self.household_id, action="clear", severity=Severity.LOW, at=now, facts=facts)
                ]
        return []

    def tick(self, now: datetime) -> list[AlertSignal]:
        return []

    def due_at(self) -> datetime | None:
        return None

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()
