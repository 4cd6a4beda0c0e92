"""Rules, alert messages, routing and notification channels for watching over households.

The engine turns observations into alert signals; the cloud's alert lifecycle turns signals
into alerts and notifications, composed here and sent through a channel.
"""

from alerts.channels import AppriseChannel, DeliveryResult, NotificationChannel, describe_url
from alerts.engine import RuleEngine
from alerts.messages import CATALOGUES, ComposedMessage, catalogue_language, compose, local_time, room_name
from alerts.routing import ROUTES, Reachable, Route, escalation_steps, quiet_until, recipients
from alerts.rules import (
    RULE_FACTORIES,
    ColdRiskRule,
    EmergencyButtonRule,
    GatewayOfflineRule,
    HeatRiskRule,
    HouseholdRule,
    InactivityRule,
    LowBatteryRule,
    NightWanderingRule,
    SensorSilentRule,
    UnusualDayRule,
    deadline_after,
    heat_level,
    wbgt_indoor,
)
from alerts.signals import (
    DEVICE_RULES,
    AlertSignal,
    EventObserved,
    FactValue,
    GatewayHeard,
    HouseholdProfile,
    Observation,
    ReadingObserved,
    RuleName,
    Severity,
    WatchSettings,
)

__all__ = [
    "CATALOGUES",
    "DEVICE_RULES",
    "ROUTES",
    "RULE_FACTORIES",
    "AlertSignal",
    "AppriseChannel",
    "ColdRiskRule",
    "ComposedMessage",
    "DeliveryResult",
    "EmergencyButtonRule",
    "EventObserved",
    "FactValue",
    "GatewayHeard",
    "GatewayOfflineRule",
    "HeatRiskRule",
    "HouseholdProfile",
    "HouseholdRule",
    "InactivityRule",
    "LowBatteryRule",
    "NightWanderingRule",
    "NotificationChannel",
    "Observation",
    "Reachable",
    "ReadingObserved",
    "Route",
    "RuleEngine",
    "RuleName",
    "SensorSilentRule",
    "Severity",
    "UnusualDayRule",
    "WatchSettings",
    "catalogue_language",
    "compose",
    "deadline_after",
    "describe_url",
    "escalation_steps",
    "heat_level",
    "local_time",
    "quiet_until",
    "recipients",
    "room_name",
    "wbgt_indoor",
]
