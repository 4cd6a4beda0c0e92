"""Payload models of the wire protocol, version 1.

Every uplink message is a JSON object with an envelope (``v``, ``msg_id``, ``gateway_id``,
``ts``) and a body. ``msg_id`` is unique per message and lets the cloud drop the duplicates
that at-least-once delivery produces. Timestamps are ISO 8601 with an offset.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from protocol.topics import GATEWAY_ID_PATTERN, TopicKind

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_READINGS_PER_BATCH = 500

MessageId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="Unique id of this message.")]
GatewayId = Annotated[str, Field(pattern=GATEWAY_ID_PATTERN, description="Gateway that sent the message.")]
DeviceId = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", description="Device id, unique within its gateway.")
]
Timestamp = Annotated[AwareDatetime, Field(description="ISO 8601 time with a UTC offset.")]


class Metric(StrEnum):
    """What a reading measures, with its unit in the name."""

    TEMPERATURE_C = "temperature_c"
    HUMIDITY_PCT = "humidity_pct"
    PRESSURE_HPA = "pressure_hpa"
    ILLUMINANCE_LX = "illuminance_lx"
    BATTERY_PCT = "battery_pct"


METRIC_RANGES: dict[Metric, tuple[float, float]] = {
    Metric.TEMPERATURE_C: (-50.0, 100.0),
    Metric.HUMIDITY_PCT: (0.0, 100.0),
    Metric.PRESSURE_HPA: (300.0, 1200.0),
    Metric.ILLUMINANCE_LX: (0.0, 200_000.0),
    Metric.BATTERY_PCT: (0.0, 100.0),
}


class EventKind(StrEnum):
    """A discrete happening at home."""

    BUTTON_PRESSED = "button_pressed"
    DOOR_OPENED = "door_opened"
    DOOR_CLOSED = "door_closed"
    MOTION_DETECTED = "motion_detected"


ALARM_EVENT_KINDS = frozenset({EventKind.BUTTON_PRESSED})


class LocationSource(StrEnum):
    GPS = "gps"
    BLE = "ble"
    OWNTRACKS = "owntracks"
    OSMAND = "osmand"
    BEACON_RECEIVER = "beacon_receiver"


class PresenceState(StrEnum):
    """Whether a tag is heard at its home gateway (the words of Home Assistant's device trackers)."""

    HOME = "home"
    NOT_HOME = "not_home"


class GatewayState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(default=1, description="Schema version of the payload.")
    msg_id: MessageId
    gateway_id: GatewayId
    ts: Timestamp


class Reading(BaseModel):
    """One measured value of one device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: DeviceId
    metric: Metric
    value: float
    ts: Timestamp
    room: str | None = Field(default=None, max_length=64, description="Room the device is in, if known.")

    @model_validator(mode="after")
    def _value_in_range(self) -> Reading:
        low, high = METRIC_RANGES[self.metric]
        if not math.isfinite(self.value) or not low <= self.value <= high:
            raise ValueError(f"{self.metric.value} value {self.value} outside [{low}, {high}]")
        return self


class ReadingBatch(_Message):
    """Sensor readings, batched: topic mimamori/v1/<gateway_id>/readings."""

    readings: list[Reading] = Field(min_length=1, max_length=MAX_READINGS_PER_BATCH)


class Event(_Message):
    """A discrete event (button, door, motion): topic mimamori/v1/<gateway_id>/events."""

    device_id: DeviceId
    kind: EventKind
    room: str | None = Field(default=None, max_length=64, description="Room the device is in, if known.")


class LocationFix(_Message):
    """Where a tracker is: topic mimamori/v1/<gateway_id>/location."""

    device_id: DeviceId
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, description="Horizontal accuracy, metres.")
    source: LocationSource
    battery_pct: float | None = Field(default=None, ge=0, le=100)


class Presence(_Message):
    """A tag came home or left: topic mimamori/v1/<gateway_id>/presence, sent on each change.

    A home gateway decides it from the tag's BLE advertisements (smoothed RSSI and a last-heard
    timeout); ``ts`` is when it decided. While home, the tag's position also goes out as
    `LocationFix` at the gateway's place, as before; town receivers send only those fixes.
    """

    device_id: DeviceId
    state: PresenceState
    last_heard: Timestamp | None = Field(
        default=None, description="When the tag was last heard strongly enough to count as home."
    )
    rssi_dbm: float | None = Field(default=None, ge=-127, le=20, description="Smoothed RSSI when last heard.")
    battery_pct: float | None = Field(default=None, ge=0, le=100)


class GatewayStatus(_Message):
    """Gateway health: topic mimamori/v1/<gateway_id>/status, retained; also the Last Will."""

    state: GatewayState
    started_at: Timestamp | None = Field(
        default=None, description="When the agent started: its records are continuous since then."
    )
    uptime_s: float | None = Field(default=None, ge=0)
    outbox_depth: int | None = Field(default=None, ge=0, description="Messages waiting to be sent.")
    firmware: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=200, description="Why offline (e.g. connection_lost).")


class GatewayConfig(_Message):
    """Configuration pushed by the cloud: topic mimamori/v1/<gateway_id>/config, retained."""

    heartbeat_interval_s: int = Field(default=60, ge=5, le=3600)
    reading_interval_s: int = Field(default=300, ge=5, le=3600)


UplinkMessage = ReadingBatch | Event | LocationFix | Presence | GatewayStatus

MODEL_BY_KIND: dict[TopicKind, type[_Message]] = {
    TopicKind.READINGS: ReadingBatch,
    TopicKind.EVENTS: Event,
    TopicKind.LOCATION: LocationFix,
    TopicKind.PRESENCE: Presence,
    TopicKind.STATUS: GatewayStatus,
    TopicKind.CONFIG: GatewayConfig,
}


class PayloadError(ValueError):
    """A payload that is not a valid message of its kind; `reason` is a short counter name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def new_message_id() -> str:
    """Return a fresh unique message id."""
    return uuid.uuid4().hex


def encode(message: BaseModel) -> bytes:
    """Serialize a message to its wire bytes (UTF-8 JSON)."""
    return message.model_dump_json(exclude_none=True).encode()


def decode(kind: TopicKind, payload: bytes) -> _Message:
    """Parse and validate wire bytes of one kind, or raise PayloadError.

    Reasons: ``oversize``, ``malformed_json`` (not JSON or not UTF-8), ``invalid_payload``
    (JSON of the wrong shape or type).
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError("oversize", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    model = MODEL_BY_KIND[kind]
    try:
        return model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise PayloadError("malformed_json", str(exc.errors()[0]["msg"])) from None
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PayloadError("invalid_payload", f"{where}: {first['msg']}") from None


def message_time(message: _Message) -> datetime:
    """Return the envelope time of a message."""
    return message.ts
