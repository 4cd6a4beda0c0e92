"""Synthetic homes that speak MQTT like real gateways, wanderers with GPS trackers, tags at home."""

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
from simulators.trackers import CarriedTracker, Companion, TagAtHome, WalkingTrackers
from simulators.wanderer import FixBatch, WandererConfig, WandererFleet, lonlat_to_plane, plane_to_lonlat

__all__ = [
    "BUTTON_DEVICE",
    "DOOR_DEVICE",
    "TOKYO",
    "Activity",
    "CarriedTracker",
    "Companion",
    "DailyRoutine",
    "FixBatch",
    "Happening",
    "HouseholdConfig",
    "HouseholdFleet",
    "Room",
    "SimulatedHousehold",
    "Stay",
    "TagAtHome",
    "WalkingTrackers",
    "WandererConfig",
    "WandererFleet",
    "climate_device",
    "lonlat_to_plane",
    "motion_device",
    "plane_to_lonlat",
]
