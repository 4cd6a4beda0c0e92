"""Readings on their way to the rules: with their room, and only when they say something new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.signals import ReadingObserved
from cloud.ingest.rules import ReadingGate, reading_observations
from protocol import Metric, Reading, ReadingBatch, TopicKind, decode, encode, new_message_id

NOW = datetime(2026, 8, 10, 5, 0, tzinfo=UTC)


def test_the_room_of_a_reading_reaches_the_rules() -> None:
    """A bedroom reading sent over the wire reaches the rules with its room."""
    batch = ReadingBatch(
        msg_id=new_message_id(),
        gateway_id="gw-taito-0001",
        ts=NOW,
        readings=[
            Reading(device_id="climate-bedroom", metric=Metric.TEMPERATURE_C, value=33.0, ts=NOW, room="bedroom"),
            Reading(device_id="climate-bedroom", metric=Metric.HUMIDITY_PCT, value=70.0, ts=NOW, room="bedroom"),
        ],
    )
    received = decode(TopicKind.READINGS, encode(batch))
    assert isinstance(received, ReadingBatch)
    observations = reading_observations("taito-0001", received)
    assert {(item.metric, item.room) for item in observations} == {
        ("temperature_c", "bedroom"),
        ("humidity_pct", "bedroom"),
    }


def test_only_readings_that_say_something_new_reach_the_rules() -> None:
    """A repeat within a minute is held back; a change, or a minute later, goes through."""
    gate = ReadingGate()

    def reading(seconds: float, value: float) -> ReadingObserved:
        return ReadingObserved(
            household_id="taito-0001",
            gateway_id="gw-taito-0001",
            device_id="climate-bedroom",
            metric="temperature_c",
            value=value,
            ts=NOW + timedelta(seconds=seconds),
        )

    assert [
        gate.admit(reading(0, 28.0)),
        gate.admit(reading(10, 28.1)),
        gate.admit(reading(20, 29.0)),
        gate.admit(reading(30, 29.0)),
        gate.admit(reading(80, 29.0)),
    ] == [True, False, True, False, True]
