"""What the rule engine takes in (observations) and gives out (alert signals).

The cloud's ingest stores a message first, then hands the engine an observation; the engine
answers with signals that the alert lifecycle turns into alerts and notifications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Literal

from protocol import EventKind, GatewayState


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class RuleName(StrEnum):
    EMERGENCY_BUTTON = "emergency_button"
    INACTIVITY = "inactivity"
    GATEWAY_OFFLINE = "gateway_offline"


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """Per-household rule thresholds, with defaults that suit most homes."""

    inactivity_day_hours: float = 4.0
    inactivity_night_cap_hours: float = 12.0
    night_start: time = time(22, 0)
    night_end: time = time(7, 0)
    timezone: str = "Asia/Tokyo"
    gateway_offline_after_s: float = 180.0


@dataclass(frozen=True, slots=True)
class HouseholdProfile:
    """What the rules need to know about one household."""

    household_id: str
    person_name: str
    gateway_ids: frozenset[str]
    settings: WatchSettings = field(default_factory=WatchSettings)


@dataclass(frozen=True, slots=True)
class EventObserved:
    """A stored discrete event (button, door, motion) of a household's gateway."""

    household_id: str
    gateway_id: str
    device_id: str
    kind: EventKind
    ts: datetime
    room: str | None = None


@dataclass(frozen=True, slots=True)
class GatewayHeard:
    """Any message from a gateway arrived; `state` is set when it was a status message."""

    household_id: str
    gateway_id: str
    at: datetime
    state: GatewayState | None = None
    started_at: datetime | None = None


Observation = EventObserved | GatewayHeard

FactValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class AlertSignal:
    """A rule's verdict: raise an alert, or clear it because the condition is gone.

    `facts` are JSON-serializable values the message templates use (ISO 8601 times, room…).
    """

    action: Literal["raise", "clear"]
    household_id: str
    rule: RuleName
    severity: Severity
    at: datetime
    facts: dict[str, FactValue] = field(default_factory=dict)
