"""Emergency button: a press raises a critical alert at once.

Every press raises again; the alert lifecycle merges presses into the open alert, so a person
pressing repeatedly is seen (occurrences) without a flood of notifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from alerts.rules.base import iso, parse_iso
from alerts.signals import (
    AlertSignal,
    EventObserved,
    HouseholdProfile,
    Observation,
    RuleName,
    Severity,
    WatchSettings,
)
from protocol import EventKind


@dataclass(frozen=True, slots=True)
class EmergencyButtonConfig:
    """The button rule has no thresholds: a press is always an emergency."""

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> EmergencyButtonConfig:
        return cls()


@dataclass(slots=True)
class EmergencyButtonState:
    """The last press seen, for the household's timeline and the checkpoint."""

    last_pressed_at: datetime | None = None
    presses: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"last_pressed_at": iso(self.last_pressed_at), "presses": self.presses}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> EmergencyButtonState:
        if not data:
            return cls()
        presses = data.get("presses", 0)
        return cls(
            last_pressed_at=parse_iso(data.get("last_pressed_at")),
            presses=presses if isinstance(presses, int) else 0,
        )


class EmergencyButtonRule:
    """Raise a critical alert for every emergency button press."""

    name: ClassVar[RuleName] = RuleName.EMERGENCY_BUTTON

    def __init__(self, *, household_id: str, config: EmergencyButtonConfig, state: EmergencyButtonState) -> None:
        self.household_id = household_id
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> EmergencyButtonRule:
        """Build the rule for a household, restoring its saved state."""
        return cls(
            household_id=profile.household_id,
            config=EmergencyButtonConfig.from_settings(profile.settings),
            state=EmergencyButtonState.from_json(saved),
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        if not isinstance(observation, EventObserved) or observation.kind is not EventKind.BUTTON_PRESSED:
            return []
        self.state.presses += 1
        if self.state.last_pressed_at is None or observation.ts > self.state.last_pressed_at:
            self.state.last_pressed_at = observation.ts
        return [
            AlertSignal(
                action="raise",
                household_id=self.household_id,
                rule=self.name,
                severity=Severity.CRITICAL,
                at=now,
                facts={
                    "pressed_at": iso(observation.ts),
                    "device_id": observation.device_id,
                    "room": observation.room,
                },
            )
        ]

    def tick(self, now: datetime) -> list[AlertSignal]:
        return []

    def due_at(self) -> datetime | None:
        return None

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()
