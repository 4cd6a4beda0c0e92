"""BLE advertisement parsers for the tags people carry: iBeacon, Eddystone-UID and Eddystone-TLM.

Pure functions over bytes, so they run the same on the gateway (fed by bleak) and in tests
(fed by published advertisement bytes). An advertisement is a list of AD structures
``<length> <type> <data…>``; iBeacon lives in the manufacturer data of Apple (0x004C) as
``02 15 <uuid:16> <major:2> <minor:2> <tx power:1>``; Eddystone lives in the service data of
the 16-bit UUID 0xFEAA, frame type 0x00 (UID) or 0x20 (TLM). Multi-byte fields are big-endian.
Malformed bytes give None, never an exception: a scanner hears every kind of device nearby.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, field

APPLE_COMPANY_ID = 0x004C
IBEACON_PREFIX = b"\x02\x15"
EDDYSTONE_SERVICE = 0xFEAA
EDDYSTONE_UID_FRAME = 0x00
EDDYSTONE_TLM_FRAME = 0x20
_AD_SERVICE_DATA_16 = 0x16
_AD_MANUFACTURER = 0xFF
# The Bluetooth base UUID that 16-bit service UUIDs expand into (how bleak names them).
_BASE_UUID_SUFFIX = "-0000-1000-8000-00805f9b34fb"


@dataclass(frozen=True, slots=True)
class Advertisement:
    """The parts of one advertisement the beacon parsers read."""

    manufacturer_data: dict[int, bytes] = field(default_factory=dict)
    service_data: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IBeacon:
    """An iBeacon: proximity UUID, major, minor and the calibrated power at 1 m."""

    uuid: str
    major: int
    minor: int
    tx_power_dbm: int

    @property
    def tag_id(self) -> str:
        """Return the identity a tag is registered under: ``ibeacon:<uuid>:<major>:<minor>``."""
        return f"ibeacon:{self.uuid}:{self.major}:{self.minor}"


@dataclass(frozen=True, slots=True)
class EddystoneUid:
    """An Eddystone-UID frame: 10-byte namespace, 6-byte instance, power at 0 m."""

    namespace: str
    instance: str
    tx_power_dbm: int

    @property
    def tag_id(self) -> str:
        """Return the identity a tag is registered under: ``eddystone:<namespace>:<instance>``."""
        return f"eddystone:{self.namespace}:{self.instance}"


@dataclass(frozen=True, slots=True)
class EddystoneTlm:
    """An Eddystone-TLM frame (telemetry): battery voltage, temperature, counters."""

    version: int
    battery_mv: int
    temperature_c: float | None
    advertisement_count: int
    uptime_s: float


BeaconFrame = IBeacon | EddystoneUid | EddystoneTlm


def parse_ad_structures(raw: bytes) -> Advertisement:
    """Split raw advertisement bytes into manufacturer and 16-bit service data; stop at padding."""
    manufacturer: dict[int, bytes] = {}
    services: dict[int, bytes] = {}
    index = 0
    while index < len(raw):
        length = raw[index]
        if length == 0:
            break  # the rest is zero padding of the PDU
        chunk = raw[index + 1 : index + 1 + length]
        if not chunk:
            break
        # a structure that claims more than the capture holds keeps what is there (as the
        # AltBeacon library does); the frame parsers check the lengths they need
        ad_type, data = chunk[0], chunk[1:]
        if ad_type == _AD_MANUFACTURER and len(data) >= 2:
            manufacturer[int.from_bytes(data[:2], "little")] = data[2:]
        elif ad_type == _AD_SERVICE_DATA_16 and len(data) >= 2:
            services[int.from_bytes(data[:2], "little")] = data[2:]
        index += 1 + length
    return Advertisement(manufacturer_data=manufacturer, service_data=services)


def service_uuid16(name: str) -> int | None:
    """Return the 16-bit UUID inside a 128-bit Bluetooth base UUID string, or None."""
    lowered = name.lower()
    if len(lowered) == 36 and lowered.startswith("0000") and lowered.endswith(_BASE_UUID_SUFFIX):
        try:
            return int(lowered[4:8], 16)
        except ValueError:
            return None
    return None


def parse_ibeacon(manufacturer_data: dict[int, bytes]) -> IBeacon | None:
    """Return the iBeacon in Apple's manufacturer data, or None."""
    data = manufacturer_data.get(APPLE_COMPANY_ID)
    if data is None or len(data) < 23 or data[:2] != IBEACON_PREFIX:
        return None
    major, minor, power = struct.unpack(">HHb", data[18:23])
    return IBeacon(uuid=str(uuid.UUID(bytes=bytes(data[2:18]))), major=major, minor=minor, tx_power_dbm=power)


def parse_eddystone(service_data: dict[int, bytes]) -> EddystoneUid | EddystoneTlm | None:
    """Return the Eddystone-UID or -TLM frame in the 0xFEAA service data, or None."""
    data = service_data.get(EDDYSTONE_SERVICE)
    if not data:
        return None
    frame = data[0]
    if frame == EDDYSTONE_UID_FRAME and len(data) >= 18:
        power = struct.unpack(">b", data[1:2])[0]
        return EddystoneUid(namespace=data[2:12].hex(), instance=data[12:18].hex(), tx_power_dbm=power)
    if frame == EDDYSTONE_TLM_FRAME and len(data) >= 14:
        version, battery, raw_temp, count, tenths = struct.unpack(">BHhII", data[1:14])
        # 0x8000 is "not supported" in the 8.8 fixed-point temperature
        temperature = None if raw_temp == -0x8000 else raw_temp / 256
        return EddystoneTlm(
            version=version,
            battery_mv=battery,
            temperature_c=temperature,
            advertisement_count=count,
            uptime_s=tenths / 10,
        )
    return None


def parse_frames(advertisement: Advertisement) -> list[BeaconFrame]:
    """Return every beacon frame one advertisement carries (an iBeacon, an Eddystone frame, both)."""
    frames: list[BeaconFrame] = []
    ibeacon = parse_ibeacon(advertisement.manufacturer_data)
    if ibeacon is not None:
        frames.append(ibeacon)
    eddystone = parse_eddystone(advertisement.service_data)
    if eddystone is not None:
        frames.append(eddystone)
    return frames


def battery_pct(battery_mv: int, *, empty_mv: int = 2000, full_mv: int = 3000) -> float | None:
    """Map a coin cell's voltage to a percentage (linear between empty and full); None when unknown."""
    if battery_mv <= 0:
        return None
    share = (battery_mv - empty_mv) / (full_mv - empty_mv)
    return round(min(1.0, max(0.0, share)) * 100, 1)
