"""Synthetic homes that speak MQTT like real gateways, and wanderers with GPS trackers."""

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
from simulators.wanderer import FixBatch, WandererConfig, WandererFleet, lonlat_to_plane, plane_to_lonlat

__all__ = [
    "BUTTON_DEVICE",
    "DOOR_DEVICE",
    "TOKYO",
    "Activity",
    "DailyRoutine",
    "FixBatch",
    "Happening",
    "HouseholdConfig",
    "HouseholdFleet",
    "Room",
    "SimulatedHousehold",
    "Stay",
    "WandererConfig",
    "WandererFleet",
    "climate_device",
    "lonlat_to_plane",
    "motion_device",
    "plane_to_lonlat",
]
