"""Synthetic homes that speak MQTT like real gateways, driven by an injected clock."""

from simulators.fleet import HouseholdFleet
from simulators.household import (
    BUTTON_DEVICE,
    DOOR_DEVICE,
    HouseholdConfig,
    SimulatedHousehold,
    climate_device,
    motion_device,
)
from simulators.routine import TOKYO, Activity, DailyRoutine, Happening, Room, Stay

__all__ = [
    "BUTTON_DEVICE",
    "DOOR_DEVICE",
    "TOKYO",
    "Activity",
    "DailyRoutine",
    "Happening",
    "HouseholdConfig",
    "HouseholdFleet",
    "Room",
    "SimulatedHousehold",
    "Stay",
    "climate_device",
    "motion_device",
]
