"""Inactivity: no movement at home for too long, judged against the household's own routine.

The rule learns, from the last 28 days, how long a quiet spell at each hour of the day
usually lasts (weekdays and weekends apart): for every hour it keeps the length of the longest
quiet spell (movement to movement) that covered that hour, one value per day. A night's sleep
covers the small hours, so they allow a long spell; 10:00 in an early riser's home is covered
only by short ones. The limit for an hour
is the longest such value times a margin, held between a floor and a ceiling. A nap at 14:00
is then no alarm, while no movement at 10:00 in an early riser's home is. The model lives in
the rule's state, so the checkpoint carries it over a restart; `learn_history` rebuilds it from
stored events. With fewer than `inactivity_min_days` days learned (cold start) the fixed rule
below applies.

A household whose last movement was the front door and no motion inside followed is taken
to be out: the limit is then `inactivity_away_hours`, so an outing is not an alarm.

The fixed rule: the clock starts at the later of the last movement (motion or door) and the gateway's
`started_at`, because records are only continuous since the agent started: a power cut is not
inactivity. It counts `inactivity_day_hours` of waking time (the night window does not count),
or `inactivity_night_cap_hours` in total, whichever comes first.

Absence of data is not inactivity: while any gateway of the household is offline or silent the
rule does not raise. When the gateway is back it waits a short grace for the replayed outbox,
then raises only if the data still shows no movement past the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.rules.base import (
    GatewayPresence,
    iso,
    latest,
    only_gateways,
    parse_iso,
    presences_from_json,
    presences_to_json,
)
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
from protocol import EventKind

MOVEMENT_KINDS = frozenset({EventKind.MOTION_DETECTED, EventKind.DOOR_OPENED, EventKind.DOOR_CLOSED})
DOOR_KINDS = frozenset({EventKind.DOOR_OPENED, EventKind.DOOR_CLOSED})
WEEKEND = frozenset({5, 6})
# The learned limit of an hour: the longest quiet spell seen then, times this, plus the slack.
LEARNED_FACTOR = 1.25
LEARNED_SLACK_MIN = 30.0
# A day type (weekday/weekend) needs this many days of its own before it is used alone.
MIN_DAYS_PER_TYPE = 4
UNKNOWN = -1
# A quiet spell is learned as if it lasted this much longer, so a nap that usually ends just
# before an hour begins still covers that hour on the day it ends a little later.
LEARN_TOLERANCE = timedelta(minutes=15)

# A gateway back from an outage first sends its status, then drains its outbox; give the
# replayed events time to arrive before judging the household by them.
REPLAY_GRACE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class InactivityConfig:
    """Thresholds of the inactivity rule for one household."""

    day_hours: float
    night_cap_hours: float
    night_start: time
    night_end: time
    zone: ZoneInfo
    offline_after: timedelta
    replay_grace: timedelta = REPLAY_GRACE
    learned: bool = True
    floor: timedelta = timedelta(hours=1.5)
    ceiling: timedelta = timedelta(hours=12)
    away: timedelta = timedelta(hours=12)
    history_days: int = 28
    min_days: int = 7

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> InactivityConfig:
        return cls(
            day_hours=settings.inactivity_day_hours,
            night_cap_hours=settings.inactivity_night_cap_hours,
            night_start=settings.night_start,
            night_end=settings.night_end,
            zone=zone_of(settings),
            offline_after=timedelta(seconds=settings.gateway_offline_after_s),
            learned=settings.inactivity_learned,
            floor=timedelta(hours=settings.inactivity_floor_hours),
            ceiling=timedelta(hours=max(settings.inactivity_ceiling_hours, settings.inactivity_floor_hours)),
            away=timedelta(hours=settings.inactivity_away_hours),
            history_days=settings.inactivity_history_days,
            min_days=settings.inactivity_min_days,
        )


def zone_of(settings: WatchSettings) -> ZoneInfo:
    """Return the household's time zone, Asia/Tokyo when the setting is not a known zone."""
    try:
        return ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Tokyo")


@dataclass(slots=True)
class RoutineModel:
    """Per local day and hour, the length in minutes of the longest quiet spell covering that hour."""

    days: dict[str, list[int]] = field(default_factory=dict)
    _limits: dict[tuple[bool, int], float] | None = field(default=None, repr=False)
    _limits_day: str | None = field(default=None, repr=False)

    def record_quiet(self, start: datetime, end: datetime, zone: ZoneInfo) -> None:
        """Note a quiet spell from one movement (`start`) to the next (`end`) in every hour it covers."""
        length = int((end - start).total_seconds() // 60)
        cursor = start
        while cursor < end:
            local = cursor.astimezone(zone)
            hour_end = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC) + timedelta(hours=1)
            hours = self.days.setdefault(local.date().isoformat(), [UNKNOWN] * 24)
            if length > hours[local.hour]:
                hours[local.hour] = length
            cursor = hour_end

    def forget_before(self, today: str, keep_days: int) -> None:
        """Keep only the last `keep_days` days before `today` (and today)."""
        if len(self.days) <= keep_days + 1:
            return
        for day in sorted(self.days)[: len(self.days) - keep_days - 1]:
            if day < today:
                del self.days[day]

    def learned_days(self, today: str) -> int:
        """Return how many complete days before `today` the model holds."""
        return sum(1 for day in self.days if day < today)

    def limit_minutes(self, moment_local: datetime, today: str) -> float | None:
        """Return the usual longest quiet spell at this hour and day type, or None if not known."""
        if self._limits is None or self._limits_day != today:
            self._limits = self._compute(today)
            self._limits_day = today
        return self._limits.get((moment_local.weekday() in WEEKEND, moment_local.hour))

    def _compute(self, today: str) -> dict[tuple[bool, int], float]:
        by_type: dict[bool, list[list[int]]] = {False: [], True: []}
        for day, hours in self.days.items():
            if day < today:
                by_type[datetime.fromisoformat(day).weekday() in WEEKEND].append(hours)
        limits: dict[tuple[bool, int], float] = {}
        for weekend, own in by_type.items():
            pool = own if len(own) >= MIN_DAYS_PER_TYPE else [*by_type[False], *by_type[True]]
            for hour in range(24):
                values = [hours[hour] for hours in pool if hours[hour] != UNKNOWN]
                if values:
                    limits[(weekend, hour)] = float(max(values))
        return limits

    def to_json(self) -> dict[str, list[int]]:
        return {day: list(hours) for day, hours in self.days.items()}

    @classmethod
    def from_json(cls, data: Any) -> RoutineModel:
        if not isinstance(data, dict):
            return cls()
        days = {
            str(day): [int(v) for v in hours]
            for day, hours in data.items()
            if isinstance(hours, list) and len(hours) == 24 and all(isinstance(v, int) for v in hours)
        }
        return cls(days=days)


@dataclass(slots=True)
class InactivityState:
    """Last movement, the household's gateways, and whether the alert is raised."""

    last_motion_at: datetime | None = None
    last_room: str | None = None
    watch_since: datetime | None = None
    gateways: dict[str, GatewayPresence] = field(default_factory=dict)
    raised: bool = False
    away: bool = False
    routine: RoutineModel = field(default_factory=RoutineModel)

    def to_json(self) -> dict[str, Any]:
        return {
            "last_motion_at": iso(self.last_motion_at),
            "last_room": self.last_room,
            "watch_since": iso(self.watch_since),
            "gateways": presences_to_json(self.gateways),
            "raised": self.raised,
            "away": self.away,
            "routine": self.routine.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> InactivityState:
        if not data:
            return cls()
        room = data.get("last_room")
        return cls(
            last_motion_at=parse_iso(data.get("last_motion_at")),
            last_room=room if isinstance(room, str) else None,
            watch_since=parse_iso(data.get("watch_since")),
            gateways=presences_from_json(data.get("gateways")),
            raised=bool(data.get("raised", False)),
            away=bool(data.get("away", False)),
            routine=RoutineModel.from_json(data.get("routine")),
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a household that has not moved since `basis` becomes an alert, and which limit applied.

    `kind` is "fixed" (cold start), "learned" or "away"; `active_by` is set when the learned
    routine says the person is usually up and about by then (the limit ran out at an hour's start).
    """

    basis: datetime
    at: datetime
    threshold_hours: float
    kind: str = "fixed"
    active_by: datetime | None = None


def learned_deadline(basis: datetime, routine: RoutineModel, config: InactivityConfig) -> Deadline:
    """Compute the first moment the quiet spell since `basis` is longer than usual for that hour."""
    cap_at = basis + config.ceiling
    today = basis.astimezone(config.zone).date().isoformat()
    slack = timedelta(minutes=LEARNED_SLACK_MIN)
    cursor = basis
    while cursor < cap_at:
        local = cursor.astimezone(config.zone)
        hour_end = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC) + timedelta(hours=1)
        usual = routine.limit_minutes(local, today)
        limit = config.ceiling if usual is None else timedelta(minutes=usual) * LEARNED_FACTOR + slack
        limit = min(max(limit, config.floor), config.ceiling)
        at = basis + limit
        if at < hour_end:
            # past the limit already when the hour began: the person is usually active by now
            active_by = cursor if at <= cursor and cursor > basis else None
            return Deadline(
                basis=basis,
                at=max(at, cursor),
                threshold_hours=limit.total_seconds() / 3600,
                kind="learned",
                active_by=active_by,
            )
        cursor = hour_end
    return Deadline(basis=basis, at=cap_at, threshold_hours=config.ceiling.total_seconds() / 3600, kind="learned")


def _in_night(moment: datetime, config: InactivityConfig) -> bool:
    local = moment.astimezone(config.zone).time()
    if config.night_start < config.night_end:
        return config.night_start <= local < config.night_end
    return local >= config.night_start or local < config.night_end


def _next_wall_time(moment: datetime, wall: time, zone: ZoneInfo) -> datetime:
    """Return the first instant after `moment` when the local clock shows `wall`, in UTC."""
    local_date = moment.astimezone(zone).date()
    candidate = datetime.combine(local_date, wall, tzinfo=zone).astimezone(UTC)
    if candidate <= moment:
        candidate = datetime.combine(local_date + timedelta(days=1), wall, tzinfo=zone).astimezone(UTC)
    return candidate


def deadline_after(basis: datetime, config: InactivityConfig) -> Deadline:
    """Compute when no movement since `basis` becomes inactivity: waking hours, or the total cap."""
    cap_at = basis + timedelta(hours=config.night_cap_hours)
    waking = timedelta(hours=config.day_hours)
    if config.night_start == config.night_end:
        waking_at = basis + waking
    else:
        cursor, remaining = basis, waking
        waking_at = cap_at
        while cursor < cap_at:
            if _in_night(cursor, config):
                cursor = _next_wall_time(cursor, config.night_end, config.zone)
                continue
            night_begins = _next_wall_time(cursor, config.night_start, config.zone)
            if night_begins - cursor >= remaining:
                waking_at = cursor + remaining
                break
            remaining -= night_begins - cursor
            cursor = night_begins
    if waking_at <= cap_at:
        return Deadline(basis=basis, at=waking_at, threshold_hours=config.day_hours)
    return Deadline(basis=basis, at=cap_at, threshold_hours=config.night_cap_hours)


class InactivityRule:
    """Raise when a household shows no movement past its deadline while its gateways are healthy."""

    name: ClassVar[RuleName] = RuleName.INACTIVITY

    def __init__(
        self,
        *,
        household_id: str,
        gateway_ids: frozenset[str],
        config: InactivityConfig,
        state: InactivityState,
    ) -> None:
        self.household_id = household_id
        self.gateway_ids = gateway_ids
        self.config = config
        self.state = state
        self._deadline: Deadline | None = None

    @classmethod
    def for_household(cls, profile: HouseholdProfile, saved: dict[str, Any] | None) -> InactivityRule:
        """Build the rule for a household, restoring its saved state."""
        state = InactivityState.from_json(saved)
        state.gateways = only_gateways(state.gateways, profile.gateway_ids)
        return cls(
            household_id=profile.household_id,
            gateway_ids=profile.gateway_ids,
            config=InactivityConfig.from_settings(profile.settings),
            state=state,
        )

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        state = self.state
        if state.watch_since is None:
            state.watch_since = now
        presence = state.gateways.setdefault(observation.gateway_id, GatewayPresence())
        presence.note(observation, now=now, offline_after=self.config.offline_after)
        if isinstance(observation, GatewayHeard):
            return []
        if not isinstance(observation, EventObserved) or observation.kind not in MOVEMENT_KINDS:
            return []
        if state.last_motion_at is not None and observation.ts <= state.last_motion_at:
            return []
        self._learn(state.last_motion_at, observation.ts)
        state.last_motion_at = observation.ts
        state.away = observation.kind in DOOR_KINDS
        if not state.away:
            state.last_room = observation.room or state.last_room
        if not state.raised:
            return []
        state.raised = False
        return [
            AlertSignal(
                action="clear",
                household_id=self.household_id,
                rule=self.name,
                severity=Severity.HIGH,
                at=now,
                facts={"last_motion_at": iso(state.last_motion_at), "last_room": state.last_room},
            )
        ]

    def tick(self, now: datetime) -> list[AlertSignal]:
        due = self.due_at()
        if due is None or due > now or not self._gateways_healthy(now):
            return []
        deadline = self.deadline()
        if deadline is None:
            return []
        self.state.raised = True
        facts: dict[str, Any] = {
            "last_motion_at": iso(self.state.last_motion_at),
            "last_room": self.state.last_room,
            "since": iso(deadline.basis),
            "threshold_hours": round(deadline.threshold_hours, 2),
            "deadline": iso(deadline.at),
            "limit": deadline.kind,
        }
        if deadline.active_by is not None:
            facts["usually_active_by"] = iso(deadline.active_by)
        return [
            AlertSignal(
                action="raise",
                household_id=self.household_id,
                rule=self.name,
                severity=Severity.HIGH,
                at=now,
                facts=facts,
            )
        ]

    def learn_history(self, movements: list[tuple[datetime, EventKind]]) -> None:
        """Rebuild the routine model from stored movements (oldest first), e.g. on a fresh start."""
        previous: tuple[datetime, EventKind] | None = None
        for ts, kind in movements:
            if kind not in MOVEMENT_KINDS:
                continue
            if previous is not None and previous[1] not in DOOR_KINDS and ts > previous[0]:
                self.state.routine.record_quiet(previous[0], ts + LEARN_TOLERANCE, self.config.zone)
            previous = (ts, kind)
        self._deadline = None

    def _learn(self, last: datetime | None, now_ts: datetime) -> None:
        """Add the quiet spell that just ended to the routine, unless it is not a normal one."""
        state = self.state
        if last is None or state.away or state.raised or not self.config.learned:
            return  # an outing or an incident is not part of the routine
        back_at = latest(*(presence.back_at for presence in state.gateways.values()))
        if back_at is not None and back_at > last:
            return  # the gateway was away during the spell: the data has a hole
        routine = state.routine
        routine.record_quiet(last, now_ts + LEARN_TOLERANCE, self.config.zone)
        today = now_ts.astimezone(self.config.zone).date().isoformat()
        routine.forget_before(today, self.config.history_days)

    def due_at(self) -> datetime | None:
        """Return when the alert would raise, or None if raised, unknown or a gateway is down first."""
        if self.state.raised:
            return None
        deadline = self.deadline()
        presences = self._presences()
        if deadline is None or presences is None:
            return None
        back_at = latest(*(presence.back_at for presence in presences))
        due = deadline.at if back_at is None else max(deadline.at, back_at + self.config.replay_grace)
        # The first gateway to fall silent stops the watch; the alert may only come before that.
        silent_from = min(
            presence.last_heard_at + self.config.offline_after
            for presence in presences
            if presence.last_heard_at is not None
        )
        return due if due < silent_from else None

    def deadline(self) -> Deadline | None:
        """Return the current deadline, from the latest of last movement, gateway start, watch start."""
        started_at = latest(*(presence.started_at for presence in self.state.gateways.values()))
        basis = latest(self.state.last_motion_at, started_at) or self.state.watch_since
        if basis is None:
            return None
        if self._deadline is None or self._deadline.basis != basis:
            self._deadline = self._deadline_from(basis)
        return self._deadline

    def _deadline_from(self, basis: datetime) -> Deadline:
        config = self.config
        if self.state.away and basis == self.state.last_motion_at:
            return Deadline(
                basis=basis, at=basis + config.away, threshold_hours=config.away.total_seconds() / 3600, kind="away"
            )
        today = basis.astimezone(config.zone).date().isoformat()
        if config.learned and self.state.routine.learned_days(today) >= config.min_days:
            return learned_deadline(basis, self.state.routine, config)
        return deadline_after(basis, config)

    def state_json(self) -> dict[str, Any]:
        return self.state.to_json()

    def _presences(self) -> list[GatewayPresence] | None:
        """Return the presence of every gateway of the household, or None if one is offline or unknown."""
        known = self.state.gateways
        presences = []
        for gateway_id in self.gateway_ids | known.keys():
            presence = known.get(gateway_id)
            if presence is None or presence.offline or presence.last_heard_at is None:
                return None
            presences.append(presence)
        return presences or None

    def _gateways_healthy(self, now: datetime) -> bool:
        presences = self._presences()
        return presences is not None and all(
            presence.healthy(now=now, offline_after=self.config.offline_after) for presence in presences
        )
