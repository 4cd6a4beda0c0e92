"""Night wandering: the front door opens during the night and nobody moves inside afterwards.

A person with dementia may leave home at night. Opening the door to check the lock and walking
back is normal: any motion inside within `wandering_after_min` minutes of the door opening
keeps the rule quiet. Motion inside later (the person is back) clears the alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from alerts.rules.base import in_window, iso, parse_iso, signal
from alerts.rules.inactivity import zone_of
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

# Motion here does not prove the person is inside: the sensor sees the doorway itself.
DOORWAY_ROOMS = frozenset({"entrance", "玄関"})


@dataclass(frozen=True, slots=True)
class NightWanderingConfig:
    """The night window and how long to wait for motion inside after the door opens."""

    night_start: time
    night_end: time
    wait: timedelta
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> NightWanderingConfig:
        return cls(
            night_start=settings.night_start,
            night_end=settings.night_end,
            wait=timedelta(minutes=settings.wandering_after_min),
            zone=zone_of(settings),
        )


@dataclass(slots=True)
class NightWanderingState:
    """The night-time door opening waiting for motion inside, and whether the alert is raised."""

    door_opened_at: datetime | None = None
    raised: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"door_opened_at": iso(self.door_opened_at), "raised": self.raised}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NightWanderingState:
        if not data:
            return cls()
        return cls(door_opened_at=parse_iso(data.get("door_opened_at")), raised=bool(data.get("raised", False)))


class NightWanderingRule:
    """Raise when the door opened at night and no motion inside followed in time."""

    name: ClassVar[RuleName] = RuleName.NIGHT_WANDERING

    def __init__(self, *, household_id: str, config: NightWanderingConfig, state: NightWanderingState) -> None:
        self.household_id = household_id
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> NightWanderingRule:
        """Build the rule for a household, restoring its saved state."""
        return cls(
            household_id=profile.household_id,
            config=NightWanderingConfig.from_settings(profile.settings),
            state=NightWanderingState.from_json(saved),
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        if not isinstance(observation, EventObserved):
            return []
        state = self.state
        config = self.config
        if observation.kind is EventKind.DOOR_OPENED:
            waiting = state.door_opened_at is not None or state.raised
            if not waiting and in_window(observation.ts, config.night_start, config.night_end, config.zone):
                state.door_opened_at = observation.ts
            return []
        if observation.kind is not EventKind.MOTION_DETECTED or (observation.room or "") in DOORWAY_ROOMS:
            return []
        opened = state.door_opened_at
        if opened is not None and observation.ts >= opened:
            state.door_opened_at = None
        if not state.raised:
            return []
        state.raised = False
        facts = {"back_at": iso(observation.ts), "room": observation.room}
        return [signal(self.name, self.household_id, action="clear", severity=Severity.HIGH, at=now, facts=facts)]

    def tick(self, now: datetime) -> list[AlertSignal]:
        due = self.due_at()
        opened = self.state.door_opened_at
        if due is None or due > now or opened is None:
            return []
        self.state.raised = True
        self.state.door_opened_at = None
        facts = {"door_opened_at": iso(opened), "wait_min": self.config.wait.total_seconds() / 60}
        return [signal(self.name, self.household_id, action="raise", severity=Severity.HIGH, at=now, facts=facts)]

    def due_at(self) -> datetime | None:
        if self.state.door_opened_at is None:
            return None
        return self.state.door_opened_at + self.config.wait

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()
