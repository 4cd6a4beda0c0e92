"""What every rule module shares: the per-household rule shape, gateway presence, time codecs.

Each rule module has the same three parts: its config (built from WatchSettings), its state
(a dataclass that round-trips through JSON for the checkpoint) and its evaluation, a class
bound to one household with `observe`, `tick` and `due_at`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar, Literal, Protocol
from zoneinfo import ZoneInfo

from alerts.signals import AlertSignal, FactValue, GatewayHeard, HouseholdProfile, Observation, RuleName, Severity
from protocol import GatewayState


class HouseholdRule(Protocol):
    """One rule evaluated for one household; the engine owns its timers."""

    name: ClassVar[RuleName]

    def observe(self, observation: Observation, *, now: datetime) -> list[AlertSignal]:
        """Take in an observation of this household and answer with signals."""
        ...

    def tick(self, now: datetime) -> list[AlertSignal]:
        """Fire the timers that are due at `now`."""
        ...

    def due_at(self) -> datetime | None:
        """Return when `tick` next has something to decide, or None when no timer runs."""
        ...

    def state_json(self) -> dict[str, Any]:
        """Return the rule's state as JSON-serializable data for the checkpoint."""
        ...


class RuleFactory(Protocol):
    """Build a rule for a household from its profile and its saved state, if any."""

    def __call__(self, profile: HouseholdProfile, saved: dict[str, Any] | None) -> HouseholdRule: ...


def iso(moment: datetime | None) -> str | None:
    """Write an aware datetime as ISO 8601 UTC, or None."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def parse_iso(text: Any) -> datetime | None:
    """Read an ISO 8601 time written by `iso`, or None for missing or unreadable values."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def latest(*moments: datetime | None) -> datetime | None:
    """Return the latest of the given times, ignoring None."""
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


@dataclass(slots=True)
class GatewayPresence:
    """What the rules know of one gateway: when it was last heard, its Last Will, its start."""

    last_heard_at: datetime | None = None
    offline: bool = False
    started_at: datetime | None = None
    back_at: datetime | None = None  # when it was last heard again after being offline or silent

    def heard(
        self, *, now: datetime, offline_after: timedelta, started_at: datetime | None, announced: bool = False
    ) -> bool:
        """Note a message from the gateway, heard at `now`; return False when it cannot mean the gateway is back.

        After its Last Will only the gateway's own "online" status (`announced`) brings it back:
        a reading or event it sent just before it dropped can be delivered after the Will (the
        broker sends the Will itself, not in line with the gateway's messages), and a gateway
        that connects again announces itself first, on the topic the Will was left on.
        """
        if self.offline and not announced:
            return False
        if self.offline or self.last_heard_at is None or now - self.last_heard_at >= offline_after:
            self.back_at = now
        self.offline = False
        self.last_heard_at = latest(self.last_heard_at, now)
        self.started_at = latest(self.started_at, started_at)
        return True

    def note(self, observation: Observation, *, now: datetime, offline_after: timedelta) -> bool:
        """Note whatever the gateway sent: its Last Will, its status, or a message from behind it.

        Return whether it counts as the gateway heard (not its Will, nor a message after the Will).
        """
        if isinstance(observation, GatewayHeard):
            if observation.state is GatewayState.OFFLINE:
                self.went_offline()
                return False
            return self.heard(
                now=now,
                offline_after=offline_after,
                started_at=observation.started_at,
                announced=observation.state is GatewayState.ONLINE,
            )
        return self.heard(now=now, offline_after=offline_after, started_at=None)

    def went_offline(self) -> None:
        """Note the gateway's Last Will (or an explicit offline status)."""
        self.offline = True

    def healthy(self, *, now: datetime, offline_after: timedelta) -> bool:
        """Tell whether the gateway is connected and was heard recently."""
        return not self.offline and self.last_heard_at is not None and now - self.last_heard_at < offline_after

    def to_json(self) -> dict[str, Any]:
        return {
            "last_heard_at": iso(self.last_heard_at),
            "offline": self.offline,
            "started_at": iso(self.started_at),
            "back_at": iso(self.back_at),
        }

    @classmethod
    def from_json(cls, data: Any) -> GatewayPresence:
        if not isinstance(data, dict):
            return cls()
        return cls(
            last_heard_at=parse_iso(data.get("last_heard_at")),
            offline=bool(data.get("offline", False)),
            started_at=parse_iso(data.get("started_at")),
            back_at=parse_iso(data.get("back_at")),
        )


def presences_to_json(presences: dict[str, GatewayPresence]) -> dict[str, Any]:
    """Write a gateway id → presence map for the checkpoint."""
    return {gateway_id: presence.to_json() for gateway_id, presence in presences.items()}


def only_gateways(presences: dict[str, GatewayPresence], gateway_ids: frozenset[str]) -> dict[str, GatewayPresence]:
    """Drop gateways taken out of the home, so they no longer pause the watch or run timers."""
    if not gateway_ids:
        return presences
    return {gateway_id: presence for gateway_id, presence in presences.items() if gateway_id in gateway_ids}


def presences_from_json(data: Any) -> dict[str, GatewayPresence]:
    """Read a gateway id → presence map written by `presences_to_json`."""
    if not isinstance(data, dict):
        return {}
    return {str(gateway_id): GatewayPresence.from_json(value) for gateway_id, value in data.items()}


def signal(
    rule: RuleName,
    household_id: str,
    *,
    action: Literal["raise", "clear"],
    severity: Severity,
    at: datetime,
    facts: Mapping[str, FactValue] | None = None,
) -> AlertSignal:
    """Build a rule's verdict (a shorthand the newer rule modules share)."""
    return AlertSignal(
        action=action, household_id=household_id, rule=rule, severity=severity, at=at, facts=dict(facts or {})
    )


def in_window(moment: datetime, start: time, end: time, zone: ZoneInfo) -> bool:
    """Tell whether the local time of `moment` is inside [start, end), a window that may span midnight."""
    local = moment.astimezone(zone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end
