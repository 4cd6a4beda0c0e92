"""The gateway's configuration model: what a Raspberry Pi in one home runs with.

One YAML file per gateway (``/etc/mimamori/gateway.yaml``), validated by `GatewaySettings`.
Pins are BCM GPIO numbers. The JSON Schema in ``schema/gateway.schema.json`` is exported
from these models for editors and provisioning tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from protocol.topics import GATEWAY_ID_PATTERN

DeviceId = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", description="Device id, unique within the gateway."),
]
Pin = Annotated[int, Field(ge=0, le=27, description="BCM GPIO number of the Raspberry Pi header.")]
Room = Annotated[str, Field(min_length=1, max_length=64, description="Room the device is in, e.g. living_room.")]


class _Strict(BaseModel):
    # frozen: settings are read once at start and never change under a running agent
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsSettings(_Strict):
    """TLS files for the broker connection; all optional (system CAs when ca_file is unset)."""

    ca_file: Path | None = Field(default=None, description="CA bundle that signed the broker's certificate.")
    cert_file: Path | None = Field(default=None, description="Client certificate, for mutual TLS.")
    key_file: Path | None = Field(default=None, description="Private key of the client certificate.")

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> TlsSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be given together")
        return self


class MqttSettings(_Strict):
    """How the gateway reaches the broker."""

    host: str = Field(min_length=1, description="Broker host name or address.")
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = Field(default=None, description="Broker user; the gateway id by convention.")
    password: str | None = Field(default=None)
    tls: TlsSettings | None = Field(default=None, description="Use TLS when present (port 8883 by convention).")
    keepalive_s: int = Field(default=60, ge=5, le=3600, description="MQTT keepalive; the LWT fires 1.5× after.")


class OutboxSettings(_Strict):
    """The store-and-forward queue on the gateway's SD card."""

    path: Path = Field(
        default=Path("/var/lib/mimamori/outbox.sqlite3"),
        description="SQLite file; a relative path is taken from the config file's folder.",
    )
    max_messages: int = Field(
        default=100_000, ge=10, description="Above this, the oldest routine readings are dropped (never events)."
    )


class PirMotionDevice(_Strict):
    """A passive-infrared motion sensor (HC-SR501 class) on one GPIO pin."""

    type: Literal["pir_motion"]
    id: DeviceId
    pin: Pin
    room: Room
    hold_s: float = Field(
        default=30.0, ge=0, le=3600, description="Re-trigger hold: motion within this time is the same event."
    )


class DoorContactDevice(_Strict):
    """A reed switch on a door, wired between the pin and ground (internal pull-up)."""

    type: Literal["door_contact"]
    id: DeviceId
    pin: Pin
    room: Room
    normally_closed: bool = Field(
        default=True, description="True when the contact is closed (pin low) while the door is shut."
    )
    bounce_s: float | None = Field(default=0.05, ge=0, le=2, description="Debounce time of the switch.")


class EmergencyButtonDevice(_Strict):
    """A push button to call for help, with optional local LED and buzzer feedback."""

    type: Literal["emergency_button"]
    id: DeviceId
    pin: Pin
    room: Room
    led_pin: Pin | None = Field(default=None, description="LED lit at once on a press, network or not.")
    buzzer_pin: Pin | None = Field(default=None, description="Active buzzer sounded at once on a press.")
    feedback_s: float = Field(default=30.0, gt=0, le=600, description="How long the LED stays lit after a press.")
    bounce_s: float | None = Field(default=0.05, ge=0, le=2, description="Debounce time of the button.")


class Ds18b20Device(_Strict):
    """A DS18B20 1-Wire thermometer read through the kernel's w1_therm driver."""

    type: Literal["ds18b20"]
    id: DeviceId
    serial: str = Field(pattern=r"^[0-9a-f]{2}-[0-9a-f]{12}$", description='1-Wire id, e.g. "28-0000072431b2".')
    base_dir: Path = Field(default=Path("/sys/bus/w1/devices"))
    room: Room


class HwmonClimateDevice(_Strict):
    """A temperature/humidity sensor (SHT3x, HTU21, BME280 …) exposed by a kernel hwmon driver."""

    type: Literal["hwmon_climate"]
    id: DeviceId
    hwmon: str = Field(min_length=1, description='Driver name in the hwmon "name" file, e.g. "sht3x".')
    base_dir: Path = Field(default=Path("/sys/class/hwmon"))
    room: Room


class BleTag(_Strict):
    """A tag a person carries, registered to a gateway that scans for it."""

    id: DeviceId
    tag_id: str = Field(
        pattern=r"^(ibeacon:[0-9a-fA-F-]{36}:\d{1,5}:\d{1,5}|eddystone:[0-9a-f]{20}:[0-9a-f]{12})$",
        description='"ibeacon:<uuid>:<major>:<minor>" or "eddystone:<namespace>:<instance>".',
    )


class BleBeaconDevice(_Strict):
    """A BLE scanner (the Pi's own radio via BlueZ) watching for registered tags at home."""

    type: Literal["ble_beacon"]
    id: DeviceId
    role: Literal["home", "town_receiver"] = Field(
        default="home",
        description="home: tags of the household's people; town_receiver: a 見守りネットワーク receiver at a "
        "shop or station reporting sightings of registered tags at its own position.",
    )
    room: Room = "entrance"
    tags: list[BleTag] = Field(min_length=1)
    lat: float = Field(ge=-90, le=90, description="Where the gateway is: the position of a tag at home.")
    lon: float = Field(ge=-180, le=180)
    home_radius_m: float = Field(default=20.0, gt=0, le=500, description="Reported accuracy of a tag at home.")
    min_rssi_dbm: int = Field(
        default=-85, ge=-127, le=0, description="Smoothed RSSI needed to count as home (weaker: not heard)."
    )
    rssi_smoothing: float = Field(default=0.3, gt=0, le=1, description="Weight of a new RSSI in the average.")
    away_after_s: float = Field(
        default=120.0, ge=5, le=3600, description="Not heard at min_rssi_dbm this long: 'not home' is sent."
    )
    report_every_s: float = Field(default=300.0, ge=10, le=3600, description="While home, send its fix this often.")


class GpsNmeaDevice(_Strict):
    """A GPS receiver speaking NMEA 0183 on a serial port (or a pty/file)."""

    type: Literal["gps_nmea"]
    id: DeviceId
    room: Room = "outdoor"
    port: str = Field(default="/dev/ttyUSB0", min_length=1)
    baud: int = Field(default=9600, ge=1200, le=921_600)
    uere_m: float = Field(default=5.0, gt=0, le=100, description="Range error: accuracy = HDOP × this.")
    min_interval_s: float = Field(default=30.0, ge=1, le=3600, description="At most one fix this often.")


DeviceSettings = Annotated[
    PirMotionDevice
    | DoorContactDevice
    | EmergencyButtonDevice
    | Ds18b20Device
    | HwmonClimateDevice
    | BleBeaconDevice
    | GpsNmeaDevice,
    Field(discriminator="type"),
]
GpioDevice = PirMotionDevice | DoorContactDevice | EmergencyButtonDevice
PolledDevice = Ds18b20Device | HwmonClimateDevice


def _pins_of(device: DeviceSettings) -> list[int]:
    if isinstance(device, EmergencyButtonDevice):
        return [pin for pin in (device.pin, device.led_pin, device.buzzer_pin) if pin is not None]
    if isinstance(device, PirMotionDevice | DoorContactDevice):
        return [device.pin]
    return []


class GatewaySettings(_Strict):
    """Everything one gateway runs with."""

    gateway_id: str = Field(pattern=GATEWAY_ID_PATTERN, description="Also the MQTT client id and topic segment.")
    mqtt: MqttSettings
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    heartbeat_interval_s: int = Field(default=60, ge=5, le=3600, description="Status heartbeat period.")
    reading_interval_s: int = Field(default=300, ge=5, le=3600, description="Period of reading batches.")
    devices: list[DeviceSettings] = Field(default_factory=list)

    @field_validator("devices")
    @classmethod
    def _unique_ids_and_pins(cls, devices: list[DeviceSettings]) -> list[DeviceSettings]:
        seen_ids: set[str] = set()
        pin_owner: dict[int, str] = {}
        for device in devices:
            if device.id in seen_ids:
                raise ValueError(f"device id {device.id!r} is used twice")
            seen_ids.add(device.id)
            for pin in _pins_of(device):
                if pin in pin_owner:
                    raise ValueError(f"GPIO pin {pin} is used by both {pin_owner[pin]!r} and {device.id!r}")
                pin_owner[pin] = device.id
        return devices

    def device(self, device_id: str) -> DeviceSettings:
        """Return the device with this id, or raise KeyError."""
        for device in self.devices:
            if device.id == device_id:
                return device
        raise KeyError(device_id)
