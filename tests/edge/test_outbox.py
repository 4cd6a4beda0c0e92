"""The gateway outbox: order, alarm priority, the size bound, and survival across reopen."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge import GatewayOutbox
from protocol import Event, EventKind, LocationFix, LocationSource, Metric, Reading, ReadingBatch, TopicKind, decode
from protocol import new_message_id as new_id

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
GW = "gw-test-001"


def event(kind: EventKind = EventKind.MOTION_DETECTED, device: str = "pir-living") -> Event:
    return Event(msg_id=new_id(), gateway_id=GW, ts=NOW, device_id=device, kind=kind, room="living_room")


def batch(value: float = 21.5) -> ReadingBatch:
    reading = Reading(device_id="temp-living", metric=Metric.TEMPERATURE_C, value=value, ts=NOW)
    return ReadingBatch(msg_id=new_id(), gateway_id=GW, ts=NOW, readings=[reading])


def fix() -> LocationFix:
    return LocationFix(
        msg_id=new_id(), gateway_id=GW, ts=NOW, device_id="tag-1", lat=35.71, lon=139.78, source=LocationSource.BLE
    )


@pytest.fixture
def outbox(tmp_path: Path) -> GatewayOutbox:
    return GatewayOutbox(tmp_path / "outbox.sqlite3")


def test_messages_leave_in_the_order_they_came(outbox: GatewayOutbox) -> None:
    """Routine messages are sent first-in first-out."""
    sent = [event(device="pir-living"), batch(), event(EventKind.DOOR_OPENED, "door-front"), fix()]
    for message in sent:
        outbox.append(message)
    assert [entry.msg_id for entry in outbox.peek(10)] == [message.msg_id for message in sent]


def test_alarm_jumps_the_queue(outbox: GatewayOutbox) -> None:
    """A help-button press is sent before everything that was already waiting."""
    waiting = [event(), batch(), event(EventKind.DOOR_OPENED, "door-front")]
    for message in waiting:
        outbox.append(message)
    alarm = event(EventKind.BUTTON_PRESSED, "button-help")
    outbox.append(alarm)
    order = [entry.msg_id for entry in outbox.peek(10)]
    assert order == [alarm.msg_id, *(message.msg_id for message in waiting)]


def test_entries_carry_kind_and_wire_bytes(outbox: GatewayOutbox) -> None:
    """A stored message decodes back to the message that was appended."""
    message = event(EventKind.DOOR_CLOSED, "door-front")
    outbox.append(message)
    (entry,) = outbox.peek()
    assert entry.kind is TopicKind.EVENTS
    assert decode(entry.kind, entry.payload) == message


def test_removed_messages_are_gone(outbox: GatewayOutbox) -> None:
    """Only the acknowledged messages leave the outbox."""
    first, second = outbox.append(event()), outbox.append(batch())
    outbox.remove([first])
    assert [entry.seq for entry in outbox.peek(10)] == [second]
    assert outbox.depth() == 1


def test_messages_survive_a_reopen(tmp_path: Path) -> None:
    """Messages written before a restart are still there, in order, after it."""
    path = tmp_path / "outbox.sqlite3"
    before = GatewayOutbox(path)
    sent = [event(), event(EventKind.BUTTON_PRESSED, "button-help"), batch()]
    for message in sent:
        before.append(message)
    before.close()
    after = GatewayOutbox(path)
    assert [entry.msg_id for entry in after.peek(10)] == [sent[1].msg_id, sent[0].msg_id, sent[2].msg_id]


def test_database_is_crash_safe(outbox: GatewayOutbox) -> None:
    """The outbox file uses write-ahead logging, so a power cut cannot corrupt it."""
    outbox.append(event())
    with sqlite3.connect(outbox.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_bound_drops_oldest_readings_first(tmp_path: Path) -> None:
    """Over the bound, the oldest readings go and the newest stay."""
    outbox = GatewayOutbox(tmp_path / "outbox.sqlite3", max_messages=3)
    batches = [batch(20.0 + i) for i in range(5)]
    for message in batches:
        outbox.append(message)
    assert [entry.msg_id for entry in outbox.peek(10)] == [message.msg_id for message in batches[2:]]
    assert outbox.dropped == 2


def test_bound_never_drops_events(tmp_path: Path) -> None:
    """Events and location fixes are kept even when that means going past the bound."""
    outbox = GatewayOutbox(tmp_path / "outbox.sqlite3", max_messages=3)
    kept = [event(), fix(), event(EventKind.DOOR_OPENED, "door-front")]
    outbox.append(batch())
    for message in kept:
        outbox.append(message)
    outbox.append(event(EventKind.BUTTON_PRESSED, "button-help"))
    kinds = [entry.kind for entry in outbox.peek(10)]
    assert TopicKind.READINGS not in kinds
    assert outbox.depth() == 4
    assert outbox.dropped == 1


def test_dropped_count_survives_a_reopen(tmp_path: Path) -> None:
    """How many readings were dropped is still known after a restart."""
    path = tmp_path / "outbox.sqlite3"
    outbox = GatewayOutbox(path, max_messages=10)
    for i in range(12):
        outbox.append(batch(20.0 + i))
    outbox.close()
    assert GatewayOutbox(path, max_messages=10).dropped == 2
