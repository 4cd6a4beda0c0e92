"""A reading names its room, so heat and cold alerts can say where it is hot or cold."""

from __future__ import annotations

from datetime import UTC, datetime

from cloud.ingest.rules import reading_observations
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
