"""Rules, alert messages, routing and notification channels for watching over households.

The engine turns observations into alert signals; the cloud's alert lifecycle turns signals
into alerts and notifications, composed here and sent through a channel.
"""

from alerts.channels import AppriseChannel, DeliveryResult, NotificationChannel, describe_url
from alerts.engine import RuleEngine
from alerts.messages import CATALOGUES, ComposedMessage, catalogue_language, compose, local_time
from alerts.routing import ROUTES, Reachable, Route, recipients
from alerts.rules import (
    RULE_FACTORIES,
    EmergencyButtonRule,
    GatewayOfflineRule,
    HouseholdRule,
    InactivityRule,
    deadline_after,
)
from alerts.signals import (
    AlertSignal,
    EventObserved,
    FactValue,
    GatewayHeard,
    HouseholdProfile,
    Observation,
    RuleName,
    Severity,
    WatchSettings,
)

__all__ = [
    "CATALOGUES",
    "ROUTES",
    "RULE_FACTORIES",
    "AlertSignal",
    "AppriseChannel",
    "ComposedMessage",
    "DeliveryResult",
    "EmergencyButtonRule",
    "EventObserved",
    "FactValue",
    "GatewayHeard",
    "GatewayOfflineRule",
    "HouseholdProfile",
    "HouseholdRule",
    "InactivityRule",
    "NotificationChannel",
    "Observation",
    "Reachable",
    "Route",
    "RuleEngine",
    "RuleName",
    "Severity",
    "WatchSettings",
    "catalogue_language",
    "compose",
    "deadline_after",
    "describe_url",
    "local_time",
    "recipients",
]
