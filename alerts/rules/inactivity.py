"""Inactivity: no movement at home for too long.

The clock starts at the later of the last movement (motion or door) and the gateway's
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
from protocol import EventKind, GatewayState

MOVEMENT_KINDS = frozenset({EventKind.MOTION_DETECTED, EventKind.DOOR_OPENED, EventKind.DOOR_CLOSED})

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

    @classmethod
    def from_settings(cls, settings: WatchSettings) -> InactivityConfig:
        try:
            zone = ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Asia/Tokyo")
        return cls(
            day_hours=settings.inactivity_day_hours,
            night_cap_hours=settings.inactivity_night_cap_hours,
            night_start=settings.night_start,
            night_end=settings.night_end,
            zone=zone,
            offline_after=timedelta(seconds=settings.gateway_offline_after_s),
        )


@dataclass(slots=True)
class InactivityState:
    """Last movement, the household's gateways, and whether the alert is raised."""

    last_motion_at: datetime | None = None
    last_room: str | None = None
    watch_since: datetime | None = None
    gateways: dict[str, GatewayPresence] = field(default_factory=dict)
    raised: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "last_motion_at": iso(self.last_motion_at),
            "last_room": self.last_room,
            "watch_since": iso(self.watch_since),
            "gateways": presences_to_json(self.gateways),
            "raised": self.raised,
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
        )


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a household that has not moved since `basis` becomes an alert, and which limit applied."""

    basis: datetime
    at: datetime
    threshold_hours: float


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
        if isinstance(observation, GatewayHeard):
            if observation.state is GatewayState.OFFLINE:
                presence.went_offline()
            else:
                presence.heard(now=now, offline_after=self.config.offline_after, started_at=observation.started_at)
            return []
        presence.heard(now=now, offline_after=self.config.offline_after, started_at=None)
        if not isinstance(observation, EventObserved) or observation.kind not in MOVEMENT_KINDS:
            return []
        if state.last_motion_at is not None and observation.ts <= state.last_motion_at:
            return []
        state.last_motion_at = observation.ts
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
        return [
            AlertSignal(
                action="raise",
                household_id=self.household_id,
                rule=self.name,
                severity=Severity.HIGH,
                at=now,
                facts={
                    "last_motion_at": iso(self.state.last_motion_at),
                    "last_room": self.state.last_room,
                    "since": iso(deadline.basis),
                    "threshold_hours": deadline.threshold_hours,
                    "deadline": iso(deadline.at),
                },
            )
        ]

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
            self._deadline = deadline_after(basis, self.config)
        return self._deadline

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
