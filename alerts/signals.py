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
    UNUSUAL_DAY = "unusual_day"
    HEAT_RISK = "heat_risk"
    COLD_RISK = "cold_risk"
    NIGHT_WANDERING = "night_wandering"
    SENSOR_SILENT = "sensor_silent"
    LOW_BATTERY = "low_battery"
    # trackers and safe zones (alerts.rules.safe_zone), fed by location fixes in batches
    SAFE_ZONE_EXIT = "safe_zone_exit"
    LEFT_HOME_AT_NIGHT = "left_home_at_night"
    NOT_BACK_BY = "not_back_by"
    TRACKER_NO_FIX = "tracker_no_fix"
    TAG_BATTERY_LOW = "tag_battery_low"


# Rules about the equipment rather than the person: ward or installer contacts hear of them.
DEVICE_RULES = frozenset({RuleName.GATEWAY_OFFLINE, RuleName.SENSOR_SILENT, RuleName.LOW_BATTERY})
# Rules about where a person is: while one of them is open, family may see the live position.
TRACKER_RULES = frozenset(
    {
        RuleName.SAFE_ZONE_EXIT,
        RuleName.LEFT_HOME_AT_NIGHT,
        RuleName.NOT_BACK_BY,
        RuleName.TRACKER_NO_FIX,
        RuleName.TAG_BATTERY_LOW,
    }
)


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """Per-household rule thresholds, with defaults that suit most homes."""

    inactivity_day_hours: float = 4.0
    inactivity_night_cap_hours: float = 12.0
    night_start: time = time(22, 0)
    night_end: time = time(7, 0)
    timezone: str = "Asia/Tokyo"
    gateway_offline_after_s: float = 180.0
    # learned inactivity: the usual quiet spell of each hour, with a floor and a ceiling
    inactivity_learned: bool = True
    inactivity_floor_hours: float = 1.5
    inactivity_ceiling_hours: float = 12.0
    inactivity_away_hours: float = 12.0
    inactivity_history_days: int = 28
    inactivity_min_days: int = 7
    # unusual day: a low-severity "please check" alert
    unusual_day_enabled: bool = True
    # heat and cold indoors
    heat_alert_level: float = 28.0  # 厳重警戒 starts at WBGT 28
    heat_danger_level: float = 31.0  # 危険 starts at WBGT 31
    heat_sustain_min: float = 30.0
    cold_below_c: float = 16.0
    cold_sustain_min: float = 60.0
    cold_months: tuple[int, ...] = (11, 12, 1, 2, 3)
    # night wandering: the front door opens at night and nobody moves inside afterwards
    wandering_after_min: float = 10.0
    # device problems
    sensor_silent_after_hours: float = 26.0
    low_battery_pct: float = 20.0
    device_alerts_to_family: bool = False
    # escalation: each step waits this long for an acknowledgement; high severity is reminded
    escalation_step_min: float = 10.0
    escalation_critical_step_min: float = 3.0
    reminder_every_min: float = 15.0
    # each reminder waits twice as long as the one before, up to this (15, 30, 60, 120, 120 …)
    reminder_max_every_min: float = 120.0


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


@dataclass(frozen=True, slots=True)
class ReadingObserved:
    """A stored reading (temperature, humidity, battery) of a household's device."""

    household_id: str
    gateway_id: str
    device_id: str
    metric: str
    value: float
    ts: datetime
    room: str | None = None


Observation = EventObserved | GatewayHeard | ReadingObserved

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
