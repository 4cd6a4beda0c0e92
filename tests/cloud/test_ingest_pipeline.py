"""The ingest pipeline's two ways to write (SQLite statements, portable SQLAlchemy core) store the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db import Device, Gateway, LocationRecord, StoredEvent, make_sessions, migrate
from cloud.ingest import IngestPipeline, IngestStats, RawMessage
from cloud.provisioning import add_gateway, add_household
from cloud.telemetry import TelemetryStore, open_telemetry_store
from protocol import (
    EventKind,
    GatewayState,
    GatewayStatus,
    LocationFix,
    LocationSource,
    ManualClock,
    Metric,
    Reading,
    ReadingBatch,
    TopicKind,
    encode,
    new_message_id,
    topic_for,
)
from tests.cloud.conftest import GATEWAY, HOUSEHOLD, START, event


@pytest.fixture
def telemetry(tmp_path: Path) -> Iterator[TelemetryStore]:
    store = open_telemetry_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    yield store
    store.close()


def raw(kind: TopicKind, message: object) -> RawMessage:
    return RawMessage(topic_for(GATEWAY, kind), encode(message))  # type: ignore[arg-type]


def mixed_batch() -> list[RawMessage]:
    later = START + timedelta(minutes=1)
    return [
        raw(TopicKind.EVENTS, event(device_id="door-1", kind=EventKind.DOOR_OPENED, room="entrance")),
        raw(TopicKind.EVENTS, event(device_id="door-1", kind=EventKind.DOOR_CLOSED, ts=later)),
        raw(
            TopicKind.READINGS,
            ReadingBatch(
                msg_id=new_message_id(),
                gateway_id=GATEWAY,
                ts=START,
                readings=[
                    Reading(device_id="c-1", metric=Metric.TEMPERATURE_C, value=20.5, ts=START),
                    Reading(device_id="c-1", metric=Metric.BATTERY_PCT, value=80.0, ts=later),
                    Reading(device_id="door-2", metric=Metric.BATTERY_PCT, value=90.0, ts=START),
                ],
            ),
        ),
        raw(
            TopicKind.LOCATION,
            LocationFix(
                msg_id=new_message_id(),
                gateway_id=GATEWAY,
                ts=START,
                device_id="tag-1",
                lat=35.71,
                lon=139.79,
                source=LocationSource.BLE,
            ),
        ),
        raw(
            TopicKind.STATUS,
            GatewayStatus(
                msg_id=new_message_id(), gateway_id=GATEWAY, ts=START, state=GatewayState.ONLINE, firmware="2.0.0"
            ),
        ),
    ]


@pytest.mark.parametrize("fast_sqlite", [True, False], ids=["sqlite-statements", "sqlalchemy-core"])
def test_both_writers_store_the_same(tmp_path: Path, telemetry: TelemetryStore, fast_sqlite: bool) -> None:
    """Events, devices (kind learnt late too), location, gateway state and telemetry are the same from either writer."""
    url = f"sqlite:///{tmp_path / 'mimamori.db'}"
    migrate(url)
    sessions = make_sessions(url)
    clock = ManualClock(START)
    add_household(sessions, household_id=HOUSEHOLD, name="田中家", clock=clock)
    add_gateway(sessions, gateway_id=GATEWAY, household_id=HOUSEHOLD, clock=clock)
    pipeline = IngestPipeline(
        sessions=sessions, telemetry=telemetry, clock=clock, stats=IngestStats(), max_payload_bytes=65536
    )
    pipeline.fast_sqlite = fast_sqlite
    pipeline.registry.reload()

    pipeline.store(pipeline.validate(mixed_batch()))
    clock.advance(timedelta(minutes=5))
    pipeline.store(
        pipeline.validate(
            [
                raw(TopicKind.EVENTS, event(device_id="door-1", ts=START + timedelta(hours=1))),
                raw(TopicKind.EVENTS, event(device_id="door-2", kind=EventKind.DOOR_OPENED, room=None)),
            ]
        )
    )

    with sessions() as session:
        events = [(e.device_id, e.kind, e.room) for e in session.scalars(select(StoredEvent).order_by(StoredEvent.id))]
        devices = {
            d.device_id: (d.kind, d.room, d.battery_pct, d.last_seen_at) for d in session.scalars(select(Device))
        }
        gateway = session.get(Gateway, GATEWAY)
        fixes = [(f.device_id, f.source) for f in session.scalars(select(LocationRecord))]
    assert events == [
        ("door-1", "door_opened", "entrance"),
        ("door-1", "door_closed", "living"),
        ("door-1", "motion_detected", "living"),
        ("door-2", "door_opened", None),
    ]
    assert devices == {
        "door-1": ("door", "living", None, START + timedelta(hours=1)),
        "c-1": ("climate", None, 80.0, START + timedelta(minutes=1)),
        "tag-1": ("tracker", None, None, START),
        "door-2": ("door", None, 90.0, START),
    }
    assert gateway is not None
    assert (gateway.state, gateway.firmware, gateway.last_seen_at) == ("online", "2.0.0", START + timedelta(minutes=5))
    assert fixes == [("tag-1", "ble")]
    assert [s.value for s in telemetry.latest(device_id="c-1")] == [80.0, 20.5]
    sessions.kw["bind"].dispose()
