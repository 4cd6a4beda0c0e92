"""Realistic uplink messages, encoded once through the protocol models and stamped per message.

Encoding a pydantic model costs more than sending it, so each kind of message is encoded once
with a placeholder message id, and every message of the run is that template with its own id
spliced in. The bytes are exactly what ``protocol.encode`` gives for the same model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from protocol import (
    Event,
    EventKind,
    GatewayState,
    GatewayStatus,
    Metric,
    Reading,
    ReadingBatch,
    TopicKind,
    encode,
    topic_for,
)

MSG_ID_WIDTH = 24
_PLACEHOLDER = "X" * MSG_ID_WIDTH

# Of every 20 messages a gateway sends: 16 one-reading batches, 3 events, 1 status.
_MIX: tuple[str, ...] = (
    "temperature",
    "humidity",
    "motion",
    "temperature",
    "illuminance",
    "humidity",
    "temperature",
    "door_opened",
    "humidity",
    "temperature",
    "battery",
    "temperature",
    "humidity",
    "motion",
    "temperature",
    "illuminance",
    "humidity",
    "temperature",
    "status",
    "humidity",
)


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """One kind of message of one gateway, split around its message id."""

    topic: str
    before_id: bytes
    after_id: bytes
    retain: bool = False

    def stamp(self, msg_id: str) -> bytes:
        """Return the payload with `msg_id` (exactly MSG_ID_WIDTH characters) in place."""
        return self.before_id + msg_id.encode() + self.after_id


def _split(topic: str, payload: bytes, *, retain: bool = False) -> MessageTemplate:
    before, marker, after = payload.partition(_PLACEHOLDER.encode())
    if not marker:
        raise ValueError("placeholder message id not found in the encoded payload")
    return MessageTemplate(topic=topic, before_id=before, after_id=after, retain=retain)


def _reading(gateway_id: str, ts: datetime, device_id: str, metric: Metric, value: float) -> MessageTemplate:
    batch = ReadingBatch(
        msg_id=_PLACEHOLDER,
        gateway_id=gateway_id,
        ts=ts,
        readings=[Reading(device_id=device_id, metric=metric, value=value, ts=ts)],
    )
    return _split(topic_for(gateway_id, TopicKind.READINGS), encode(batch))


def _event(gateway_id: str, ts: datetime, device_id: str, kind: EventKind, room: str) -> MessageTemplate:
    event = Event(msg_id=_PLACEHOLDER, gateway_id=gateway_id, ts=ts, device_id=device_id, kind=kind, room=room)
    return _split(topic_for(gateway_id, TopicKind.EVENTS), encode(event))


def gateway_templates(gateway_id: str, *, ts: datetime, started_at: datetime) -> list[MessageTemplate]:
    """Return the repeating message cycle of one gateway (readings, motion and door events, status)."""
    status = GatewayStatus(
        msg_id=_PLACEHOLDER,
        gateway_id=gateway_id,
        ts=ts,
        state=GatewayState.ONLINE,
        started_at=started_at,
        uptime_s=(ts - started_at).total_seconds(),
        outbox_depth=0,
        firmware="mimamori-edge 0.1.0",
    )
    kinds = {
        "temperature": _reading(gateway_id, ts, "climate-living", Metric.TEMPERATURE_C, 22.5),
        "humidity": _reading(gateway_id, ts, "climate-living", Metric.HUMIDITY_PCT, 48.0),
        "illuminance": _reading(gateway_id, ts, "light-kitchen", Metric.ILLUMINANCE_LX, 310.0),
        "battery": _reading(gateway_id, ts, "door-entrance", Metric.BATTERY_PCT, 87.0),
        "motion": _event(gateway_id, ts, "pir-living", EventKind.MOTION_DETECTED, "living"),
        "door_opened": _event(gateway_id, ts, "door-entrance", EventKind.DOOR_OPENED, "entrance"),
        "status": _split(topic_for(gateway_id, TopicKind.STATUS), encode(status), retain=True),
    }
    return [kinds[name] for name in _MIX]


def button_template(gateway_id: str, *, ts: datetime) -> MessageTemplate:
    """Return an emergency-button press of one gateway."""
    return _event(gateway_id, ts, "button-bedside", EventKind.BUTTON_PRESSED, "bedroom")


def message_id(run_tag: str, stream: int, sequence: int) -> str:
    """Return a unique, fixed-width message id for one message of one publisher stream."""
    msg_id = f"{run_tag}{stream:04x}{sequence:012x}"
    if len(msg_id) != MSG_ID_WIDTH:
        raise ValueError(f"run tag {run_tag!r} must be {MSG_ID_WIDTH - 16} characters")
    return msg_id


def round_robin(gateway_cycles: list[list[MessageTemplate]]) -> Iterator[MessageTemplate]:
    """Yield messages forever, one from each gateway in turn, each gateway walking its cycle.

    Gateways start at different points of their cycle, so the stream mixes kinds at any moment.
    """
    position = 0
    while True:
        for offset, cycle in enumerate(gateway_cycles):
            yield cycle[(position + offset) % len(cycle)]
        position += 1
