"""Gateway configuration: the YAML schema a Raspberry Pi gateway runs with, and its loader.

Imports only protocol/ of ours, so it runs on the gateway beside edge/.
"""

from firmware_config.loader import ConfigError, load_gateway_settings
from firmware_config.settings import (
    BleBeaconDevice,
    BleTag,
    DeviceSettings,
    DoorContactDevice,
    Ds18b20Device,
    EmergencyButtonDevice,
    GatewaySettings,
    GpioDevice,
    GpsNmeaDevice,
    HwmonClimateDevice,
    MqttSettings,
    OutboxSettings,
    PirMotionDevice,
    PolledDevice,
    TlsSettings,
)

__all__ = [
    "BleBeaconDevice",
    "BleTag",
    "ConfigError",
    "DeviceSettings",
    "DoorContactDevice",
    "Ds18b20Device",
    "EmergencyButtonDevice",
    "GatewaySettings",
    "GpioDevice",
    "GpsNmeaDevice",
    "HwmonClimateDevice",
    "MqttSettings",
    "OutboxSettings",
    "PirMotionDevice",
    "PolledDevice",
    "TlsSettings",
    "load_gateway_settings",
]
