"""Gateway configuration: the YAML schema a Raspberry Pi gateway runs with, and its loader.

Imports only protocol/ of ours, so it runs on the gateway beside edge/.
"""

from firmware_config.loader import ConfigError, load_gateway_settings
from firmware_config.settings import (
    DeviceSettings,
    DoorContactDevice,
    Ds18b20Device,
    EmergencyButtonDevice,
    GatewaySettings,
    GpioDevice,
    HwmonClimateDevice,
    MqttSettings,
    OutboxSettings,
    PirMotionDevice,
    PolledDevice,
    TlsSettings,
)

__all__ = [
    "ConfigError",
    "DeviceSettings",
    "DoorContactDevice",
    "Ds18b20Device",
    "EmergencyButtonDevice",
    "GatewaySettings",
    "GpioDevice",
    "HwmonClimateDevice",
    "MqttSettings",
    "OutboxSettings",
    "PirMotionDevice",
    "PolledDevice",
    "TlsSettings",
    "load_gateway_settings",
]
