"""Sensor drivers of the gateway, one module each with the same shape.

GPIO inputs (`PirMotionDriver`, `DoorContactDriver`, `EmergencyButtonDriver`) take their
device settings, an `EmitEvent` callback, a clock and an optional gpiozero pin factory, and
report events from gpiozero's threads. Polled sensors (`Ds18b20Driver`, `HwmonClimateDriver`)
take their device settings and return readings from `read(now)` or raise `SensorError`.
Location sources (`BleBeaconDriver` for tags at home, `GpsNmeaDriver` for a serial GPS) turn
radio and NMEA into presence reports and fixes; their parsers are pure (edge.beacons, pynmea2).
"""

from edge.drivers.base import EmitEvent, GpioInput, InputDriver, PolledDriver, SensorError
from edge.drivers.ble_beacon import BleBeaconDriver, PresenceReport, TagPresence, TagReport
from edge.drivers.door_contact import DoorContactDriver
from edge.drivers.ds18b20 import Ds18b20Driver
from edge.drivers.emergency_button import EmergencyButtonDriver
from edge.drivers.gps_nmea import GpsFix, GpsNmeaDriver, NmeaFixReader
from edge.drivers.hwmon_climate import HwmonClimateDriver
from edge.drivers.pir_motion import PirMotionDriver

__all__ = [
    "BleBeaconDriver",
    "DoorContactDriver",
    "Ds18b20Driver",
    "EmergencyButtonDriver",
    "EmitEvent",
    "GpioInput",
    "GpsFix",
    "GpsNmeaDriver",
    "HwmonClimateDriver",
    "InputDriver",
    "NmeaFixReader",
    "PirMotionDriver",
    "PolledDriver",
    "PresenceReport",
    "SensorError",
    "TagPresence",
    "TagReport",
]
