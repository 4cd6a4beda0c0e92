"""Alert rules, one module per rule with the same shape: config, state, evaluation."""

from alerts.rules.base import GatewayPresence, HouseholdRule, RuleFactory
from alerts.rules.emergency_button import EmergencyButtonConfig, EmergencyButtonRule, EmergencyButtonState
from alerts.rules.gateway_offline import GatewayOfflineConfig, GatewayOfflineRule, GatewayOfflineState
from alerts.rules.inactivity import Deadline, InactivityConfig, InactivityRule, InactivityState, deadline_after
from alerts.signals import RuleName

RULE_FACTORIES: dict[RuleName, RuleFactory] = {
    RuleName.EMERGENCY_BUTTON: EmergencyButtonRule.for_household,
    RuleName.INACTIVITY: InactivityRule.for_household,
    RuleName.GATEWAY_OFFLINE: GatewayOfflineRule.for_household,
}

__all__ = [
    "RULE_FACTORIES",
    "Deadline",
    "EmergencyButtonConfig",
    "EmergencyButtonRule",
    "EmergencyButtonState",
    "GatewayOfflineConfig",
    "GatewayOfflineRule",
    "GatewayOfflineState",
    "GatewayPresence",
    "HouseholdRule",
    "InactivityConfig",
    "InactivityRule",
    "InactivityState",
    "RuleFactory",
    "deadline_after",
]
