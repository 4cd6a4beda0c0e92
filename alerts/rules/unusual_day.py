"""Unusual day: how far today departs from the person's own baseline, with the reason in words.

Each local day the rule counts a few things that carriers of dementia or a beginning illness
change first: toilet visits during the night, activity in the kitchen by noon, the front door
opening at all, and the amount of movement. At noon and at 20:00 it compares today with the
last 28 complete days and raises a low-severity "please check" alert naming each departure
(facts `reasons`: "night_toilet=4/2;no_kitchen_by_noon"). The next check that finds nothing
unusual clears it. Days with a gateway outage are neither judged nor learned.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from alerts.rules.base import in_window, signal
from alerts.rules.inactivity import zone_of
from alerts.signals import (
    AlertSignal,
    EventObserved,
    GatewayHeard,
    HouseholdProfile,
    Observation,
    RuleName,
    Severity,
    WatchSettings,
)
from protocol import EventKind, GatewayState

KITCHEN_ROOMS = frozenset({"kitchen", "台所", "キッチン"})
TOILET_ROOMS = frozenset({"toilet", "トイレ"})
NOON_CHECK = time(12, 0)
EVENING_CHECK = time(20, 0)
MORNING_FROM = time(5, 0)
# Toilet motion this close to the previous one is the same visit.
VISIT_GAP = timedelta(minutes=10)
HISTORY_DAYS = 28
MIN_DAYS = 14
# How regular a habit must be before its absence is worth a call.
HABIT_SHARE = 0.9
LOW_MOVEMENT_SHARE = 0.4
MIN_NIGHT_VISITS = 3
# One extra visit is within a night's variation; two more than ever before is not.
EXTRA_NIGHT_VISITS = 2


@dataclass(frozen=True, slots=True)
class UnusualDayConfig:
    """Whether the rule runs, the household's night window and time zone."""

    enabled: bool
    night_start: time
    night_end: time
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> UnusualDayConfig:
        return cls(
            enabled=settings.unusual_day_enabled,
            night_start=settings.night_start,
            night_end=settings.night_end,
            zone=zone_of(settings),
        )


@dataclass(slots=True)
class DayCounts:
    """What one local day looked like."""

    night_toilet: int = 0
    kitchen_by_noon: bool = False
    door: bool = False
    movements: int = 0
    complete: bool = True

    def to_json(self) -> list[int]:
        return [self.night_toilet, int(self.kitchen_by_noon), int(self.door), self.movements, int(self.complete)]

    @classmethod
    def from_json(cls, data: Any) -> DayCounts | None:
        if not isinstance(data, list) or len(data) != 5 or not all(isinstance(v, int) for v in data):
            return None
        return cls(data[0], bool(data[1]), bool(data[2]), data[3], bool(data[4]))


@dataclass(slots=True)
class UnusualDayState:
    """Counts per local day (ISO date), the last toilet motion, the next check, what was raised."""

    days: dict[str, DayCounts] = field(default_factory=dict)
    last_toilet_at: datetime | None = None
    next_check: datetime | None = None
    raised: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "days": {day: counts.to_json() for day, counts in self.days.items()},
            "last_toilet_at": None if self.last_toilet_at is None else self.last_toilet_at.isoformat(),
            "next_check": None if self.next_check is None else self.next_check.isoformat(),
            "raised": self.raised,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> UnusualDayState:
        if not data:
            return cls()
        raw = data.get("days")
        days = {}
        if isinstance(raw, dict):
            for day, value in raw.items():
                counts = DayCounts.from_json(value)
                if counts is not None:
                    days[str(day)] = counts
        return cls(
            days=days,
            last_toilet_at=_read_time(data.get("last_toilet_at")),
            next_check=_read_time(data.get("next_check")),
            raised=bool(data.get("raised", False)),
        )


def _read_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


class UnusualDayRule:
    """Raise a "please check" alert when today departs from the person's baseline."""

    name: ClassVar[RuleName] = RuleName.UNUSUAL_DAY

    def __init__(self, *, household_id: str, config: UnusualDayConfig, state: UnusualDayState) -> None:
        self.household_id = household_id
        self.config = config
        self.state = state

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> UnusualDayRule:
        """Build the rule for a household, restoring its saved state."""
        return cls(
            household_id=profile.household_id,
            config=UnusualDayConfig.from_settings(profile.settings),
            state=UnusualDayState.from_json(saved),
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        if not self.config.enabled:
            return []
        state = self.state
        if state.next_check is None:
            state.next_check = self._check_after(now)
        if isinstance(observation, GatewayHeard):
            if observation.state is GatewayState.OFFLINE:
                self._day(now).complete = False
            return []
        if not isinstance(observation, EventObserved):
            return []
        ts = observation.ts
        local = ts.astimezone(self.config.zone)
        day = self._day(ts)
        room = observation.room or ""
        if observation.kind is EventKind.DOOR_OPENED:
            day.door = True
        elif observation.kind is EventKind.MOTION_DETECTED:
            day.movements += 1
            if room in KITCHEN_ROOMS and MORNING_FROM <= local.time() < NOON_CHECK:
                day.kitchen_by_noon = True
            if room in TOILET_ROOMS:
                new_visit = state.last_toilet_at is None or ts - state.last_toilet_at >= VISIT_GAP
                if new_visit and in_window(ts, self.config.night_start, self.config.night_end, self.config.zone):
                    self._night_day(ts).night_toilet += 1
                state.last_toilet_at = ts
        return []

    def tick(self, now: datetime) -> list[AlertSignal]:
        state = self.state
        if state.next_check is None or state.next_check > now or not self.config.enabled:
            return []
        check = state.next_check
        state.next_check = self._check_after(now)
        local = check.astimezone(self.config.zone)
        today = local.date().isoformat()
        self._forget(today)
        counts = state.days.get(today)
        baseline = [c for d, c in state.days.items() if d < today and c.complete]
        if counts is None or not counts.complete or len(baseline) < MIN_DAYS:
            return []
        reasons = self._reasons(counts, baseline, evening=local.time() >= EVENING_CHECK)
        if reasons:
            state.raised = True
            facts = {"reasons": ";".join(reasons), "day": today}
            return [signal(self.name, self.household_id, action="raise", severity=Severity.LOW, at=now, facts=facts)]
        if state.raised and local.time() < EVENING_CHECK:
            state.raised = False
            return [signal(self.name, self.household_id, action="clear", severity=Severity.LOW, at=now)]
        return []

    def due_at(self) -> datetime | None:
        return self.state.next_check if self.config.enabled else None

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()

    def _reasons(self, today: DayCounts, baseline: list[DayCounts], *, evening: bool) -> list[str]:
        reasons = []
        usual_visits = max(c.night_toilet for c in baseline)
        if today.night_toilet >= max(MIN_NIGHT_VISITS, usual_visits + EXTRA_NIGHT_VISITS):
            reasons.append(f"night_toilet={today.night_toilet}/{usual_visits}")
        kitchen_share = sum(c.kitchen_by_noon for c in baseline) / len(baseline)
        if not today.kitchen_by_noon and kitchen_share >= HABIT_SHARE:
            reasons.append("no_kitchen_by_noon")
        if evening:
            door_share = sum(c.door for c in baseline) / len(baseline)
            if not today.door and door_share >= HABIT_SHARE:
                reasons.append("no_door")
            usual = statistics.median(c.movements for c in baseline)
            if usual > 0 and today.movements < LOW_MOVEMENT_SHARE * usual:
                reasons.append(f"low_movement={round(100 * today.movements / usual)}")
        return reasons

    def _day(self, moment: datetime) -> DayCounts:
        return self.state.days.setdefault(moment.astimezone(self.config.zone).date().isoformat(), DayCounts())

    def _night_day(self, moment: datetime) -> DayCounts:
        """Return the day a night moment belongs to: the morning it ends in."""
        local = moment.astimezone(self.config.zone)
        day = local.date() + timedelta(days=1) if local.time() >= self.config.night_start else local.date()
        return self.state.days.setdefault(day.isoformat(), DayCounts())

    def _check_after(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.config.zone)
        for offset in (0, 1):
            day = local.date() + timedelta(days=offset)
            for at in (NOON_CHECK, EVENING_CHECK):
                candidate = datetime.combine(day, at, tzinfo=self.config.zone).astimezone(UTC)
                if candidate > moment:
                    return candidate
        return moment + timedelta(days=1)

    def _forget(self, today: str) -> None:
        old = sorted(day for day in self.state.days if day < today)[:-HISTORY_DAYS]
        for day in old:
            del self.state.days[day]
