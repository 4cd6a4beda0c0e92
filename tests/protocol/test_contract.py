"""The wire contract: topics, payload validation, and the exported JSON Schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from protocol import (
    Event,
    EventKind,
    Metric,
    PayloadError,
    Presence,
    PresenceState,
    Reading,
    ReadingBatch,
    TopicError,
    TopicKind,
    decode,
    encode,
    new_message_id,
    parse_topic,
    topic_for,
)
from protocol.schema_export import SCHEMA_DIR, schema_documents

NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def test_topic_round_trip() -> None:
    """A topic built for a gateway parses back to the same gateway and kind."""
    topic = topic_for("gw-taito-001", TopicKind.EVENTS)
    assert topic == "mimamori/v1/gw-taito-001/events"
    parsed = parse_topic(topic)
    assert (parsed.gateway_id, parsed.kind) == ("gw-taito-001", TopicKind.EVENTS)


@pytest.mark.parametrize(
    "topic",
    ["mimamori/v2/gw-1x/events", "other/v1/gw-1x/events", "mimamori/v1/GW!/events", "mimamori/v1/gw-1x/nope", "a/b"],
)
def test_foreign_topics_are_refused(topic: str) -> None:
    """Topics of another version, root, gateway id shape or kind are refused."""
    with pytest.raises(TopicError):
        parse_topic(topic)


def test_payload_round_trip() -> None:
    """A message encodes to JSON bytes and decodes to an equal model."""
    batch = ReadingBatch(
        msg_id=new_message_id(),
        gateway_id="gw-taito-001",
        ts=NOW,
        readings=[Reading(device_id="climate-1", metric=Metric.TEMPERATURE_C, value=21.5, ts=NOW)],
    )
    assert decode(TopicKind.READINGS, encode(batch)) == batch


def test_presence_of_a_tag_round_trips_on_its_own_topic() -> None:
    """A tag's "not_home" goes on mimamori/v1/<gateway>/presence and decodes with its RSSI and last-heard time."""
    away = Presence(
        msg_id=new_message_id(),
        gateway_id="gw-taito-001",
        ts=NOW,
        device_id="tag-hanako",
        state=PresenceState.NOT_HOME,
        last_heard=NOW,
        rssi_dbm=-71.5,
        battery_pct=80.0,
    )
    topic = topic_for("gw-taito-001", TopicKind.PRESENCE)
    assert topic == "mimamori/v1/gw-taito-001/presence"
    assert decode(parse_topic(topic).kind, encode(away)) == away
    with pytest.raises(PayloadError):
        decode(TopicKind.PRESENCE, encode(away).replace(b"not_home", b"away"))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe\x00", "malformed_json"),
        (b'{"msg_id": 5}', "invalid_payload"),
        (
            b'{"msg_id":"abcdefgh","gateway_id":"gw-1x","ts":"2026-11-26T09:00:00","device_id":"b","kind":"button_pressed"}',
            "invalid_payload",
        ),
        (b" " * 70_000, "oversize"),
    ],
)
def test_bad_payloads_name_their_reason(payload: bytes, reason: str) -> None:
    """Malformed, mistyped, naive-time and oversize payloads raise PayloadError with a reason."""
    with pytest.raises(PayloadError) as caught:
        decode(TopicKind.EVENTS, payload)
    assert caught.value.reason == reason


def test_out_of_range_reading_is_refused() -> None:
    """A humidity of 140 % is not a reading."""
    payload = json.dumps(
        {
            "msg_id": "abcdefgh1",
            "gateway_id": "gw-1x",
            "ts": NOW.isoformat(),
            "readings": [{"device_id": "c", "metric": "humidity_pct", "value": 140, "ts": NOW.isoformat()}],
        }
    ).encode()
    with pytest.raises(PayloadError):
        decode(TopicKind.READINGS, payload)


def test_schema_files_match_models() -> None:
    """The JSON Schema files in protocol/schema/ are what the models export now."""
    for name, text in schema_documents().items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == text, f"run `make schema`: {name} is stale"


def test_schema_accepts_what_models_encode() -> None:
    """A payload encoded by the models validates against the published JSON Schema."""
    event = Event(
        msg_id=new_message_id(), gateway_id="gw-1x", ts=NOW, device_id="button-1", kind=EventKind.BUTTON_PRESSED
    )
    schema = json.loads((SCHEMA_DIR / "events.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(encode(event)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"msg_id": "abcdefgh", "kind": "explode"}, schema)
