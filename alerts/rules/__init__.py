"""Alert rules, one module per rule with the same shape: config, state, evaluation."""

from alerts.rules.base import GatewayPresence, HouseholdRule, RuleFactory
from alerts.rules.cold_risk import ColdRiskConfig, ColdRiskRule, ColdRiskState
from alerts.rules.emergency_button import EmergencyButtonConfig, EmergencyButtonRule, EmergencyButtonState
from alerts.rules.gateway_offline import GatewayOfflineConfig, GatewayOfflineRule, GatewayOfflineState
from alerts.rules.heat_risk import HeatRiskConfig, HeatRiskRule, HeatRiskState, heat_level, wbgt_indoor
from alerts.rules.inactivity import (
    Deadline,
    InactivityConfig,
    InactivityRule,
    InactivityState,
    RoutineModel,
    deadline_after,
    learned_deadline,
)
from alerts.rules.low_battery import LowBatteryConfig, LowBatteryRule, LowBatteryState
from alerts.rules.night_wandering import NightWanderingConfig, NightWanderingRule, NightWanderingState
from alerts.rules.safe_zone import SafeZoneConfig, SafeZoneWatch, TagPresenceReport, TrackerFix, TrackerProfile
from alerts.rules.sensor_silent import SensorSilentConfig, SensorSilentRule, SensorSilentState
from alerts.rules.unusual_day import UnusualDayConfig, UnusualDayRule, UnusualDayState
from alerts.signals import RuleName

RULE_FACTORIES: dict[RuleName, RuleFactory] = {
    RuleName.EMERGENCY_BUTTON: EmergencyButtonRule.for_household,
    RuleName.INACTIVITY: InactivityRule.for_household,
    RuleName.GATEWAY_OFFLINE: GatewayOfflineRule.for_household,
    RuleName.UNUSUAL_DAY: UnusualDayRule.for_household,
    RuleName.HEAT_RISK: HeatRiskRule.for_household,
    RuleName.COLD_RISK: ColdRiskRule.for_household,
    RuleName.NIGHT_WANDERING: NightWanderingRule.for_household,
    RuleName.SENSOR_SILENT: SensorSilentRule.for_household,
    RuleName.LOW_BATTERY: LowBatteryRule.for_household,
}

__all__ = [
    "RULE_FACTORIES",
    "ColdRiskConfig",
    "ColdRiskRule",
    "ColdRiskState",
    "Deadline",
    "EmergencyButtonConfig",
    "EmergencyButtonRule",
    "EmergencyButtonState",
    "GatewayOfflineConfig",
    "GatewayOfflineRule",
    "GatewayOfflineState",
    "GatewayPresence",
    "HeatRiskConfig",
    "HeatRiskRule",
    "HeatRiskState",
    "HouseholdRule",
    "InactivityConfig",
    "InactivityRule",
    "InactivityState",
    "LowBatteryConfig",
    "LowBatteryRule",
    "LowBatteryState",
    "NightWanderingConfig",
    "NightWanderingRule",
    "NightWanderingState",
    "RoutineModel",
    "RuleFactory",
    "SafeZoneConfig",
    "SafeZoneWatch",
    "SensorSilentConfig",
    "SensorSilentRule",
    "SensorSilentState",
    "TagPresenceReport",
    "TrackerFix",
    "TrackerProfile",
    "UnusualDayConfig",
    "UnusualDayRule",
    "UnusualDayState",
    "deadline_after",
    "heat_level",
    "learned_deadline",
    "wbgt_indoor",
]
