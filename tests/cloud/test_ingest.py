"""Ingest through a real Mosquitto: good messages are stored once, bad ones are counted and dropped."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from cloud.db import Device, Gateway, LocationRecord, StoredEvent
from cloud.service import CloudService
from protocol import (
    MAX_PAYLOAD_BYTES,
    EventKind,
    GatewayState,
    GatewayStatus,
    LocationFix,
    LocationSource,
    Metric,
    Reading,
    ReadingBatch,
    TopicKind,
    encode,
    new_message_id,
    topic_for,
)
from tests.cloud.conftest import (
    GATEWAY,
    HOUSEHOLD,
    START,
    GatewayPublisher,
    event,
    events_topic,
    stored_event_count,
    wait_stored,
)
from tests.support import MosquittoBroker, wait_until

# The README's example: one motion event published by hand. Keep it identical to the README.
MOSQUITTO_PUB_EXAMPLE = (
    "mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t mimamori/v1/gw-taito-0001/events -m "
    """'{"v": 1, "msg_id": "readme-example-0001", "gateway_id": "gw-taito-0001", """
    """"ts": "2026-11-26T09:00:00+09:00", "device_id": "pir-living", "kind": "motion_detected", "room": "living"}'"""
)

_VALID = json.loads(encode(event()))


def _payload(**changes: object) -> bytes:
    body = dict(_VALID, msg_id=new_message_id())
    body.update(changes)
    return json.dumps(body).encode()


BAD_INPUT = {
    "malformed_json": (events_topic(), b'{"v": 1, "msg_id": '),
    "invalid_payload": (events_topic(), _payload(device_id=42)),
    "oversize": (events_topic(), _payload(room="x" * (MAX_PAYLOAD_BYTES + 1))),
    "unknown_gateway": (events_topic("gw-nobody"), _payload(gateway_id="gw-nobody")),
    "topic_mismatch": (events_topic(), _payload(gateway_id="gw-someone-else")),
    "bad_topic": ("mimamori/v1/gw-taito-0001/doorbell", _payload()),
}


@pytest.mark.parametrize("reason", sorted(BAD_INPUT))
def test_bad_message_is_counted_and_dropped_and_the_next_one_is_stored(
    reason: str, cloud: CloudService, gateway: GatewayPublisher
) -> None:
    """A bad message is counted under its reason and dropped; a good message right after it is stored."""
    topic, payload = BAD_INPUT[reason]
    good = event()

    gateway.publish(topic, payload)
    gateway.publish(events_topic(), encode(good))

    wait_stored(cloud, good.msg_id)
    wait_until(lambda: cloud.stats.rejected[reason] == 1, what=f"{reason} counted")
    assert stored_event_count(cloud) == 1
    # the counter moves just after the commit that made the row visible
    wait_until(lambda: cloud.stats.accepted == 1, what="the good message counted")


def test_bad_and_good_messages_in_one_batch_keep_the_good_ones(cloud: CloudService, gateway: GatewayPublisher) -> None:
    """Bad messages interleaved with good ones in the same batch lose none of the good ones."""
    good = [event() for _ in range(20)]
    for message in good:
        for topic, payload in BAD_INPUT.values():
            gateway.publish(topic, payload)
        gateway.publish(events_topic(), encode(message))

    wait_until(lambda: stored_event_count(cloud) == len(good), what="every good event stored")
    assert cloud.stats.rejected_total == len(good) * len(BAD_INPUT)


def test_duplicate_message_is_stored_once(cloud: CloudService, gateway: GatewayPublisher) -> None:
    """A message delivered twice (same msg_id) is stored once and counted as a duplicate."""
    message = event()

    gateway.publish(events_topic(), encode(message))
    gateway.publish(events_topic(), encode(message))

    # both copies may come in one batch: the duplicate is then counted before the first is committed
    wait_stored(cloud, message.msg_id)
    wait_until(lambda: cloud.stats.rejected["duplicate"] == 1, what="duplicate counted")
    assert stored_event_count(cloud, message.msg_id) == 1


def test_duplicate_after_restart_is_stored_once(
    start_service: Callable[..., CloudService], gateway: GatewayPublisher, mosquitto: MosquittoBroker
) -> None:
    """A message seen before a restart is still recognised as a duplicate after it."""
    message = event()
    first: CloudService = start_service()
    gateway.publish(events_topic(), encode(message))
    wait_stored(first, message.msg_id)
    first.stop()

    second: CloudService = start_service()
    gateway.publish(events_topic(), encode(message))

    wait_until(lambda: second.stats.rejected["duplicate"] == 1, what="duplicate counted after restart")
    assert stored_event_count(second, message.msg_id) == 1


def test_readings_go_to_the_telemetry_store(cloud: CloudService, gateway: GatewayPublisher) -> None:
    """Readings of a batch can be queried from the telemetry store, and their device is registered."""
    batch = ReadingBatch(
        msg_id=new_message_id(),
        gateway_id=GATEWAY,
        ts=START,
        readings=[
            Reading(device_id="climate-1", metric=Metric.TEMPERATURE_C, value=21.5, ts=START),
            Reading(device_id="climate-1", metric=Metric.TEMPERATURE_C, value=21.7, ts=START + timedelta(minutes=5)),
            Reading(device_id="climate-1", metric=Metric.HUMIDITY_PCT, value=48.0, ts=START),
        ],
    )

    gateway.publish(topic_for(GATEWAY, TopicKind.READINGS), encode(batch))

    wait_until(lambda: cloud.stats.accepted == 1, what="readings accepted")
    samples = cloud.telemetry.query(
        household_id=HOUSEHOLD, metric="temperature_c", start=START, end=START + timedelta(hours=1)
    )
    assert [(sample.ts, sample.value) for sample in samples] == [(START, 21.5), (START + timedelta(minutes=5), 21.7)]
    with cloud.sessions() as session:
        device = session.scalars(select(Device).where(Device.device_id == "climate-1")).one()
    assert (device.kind, device.last_seen_at) == ("climate", START + timedelta(minutes=5))


def test_status_updates_the_gateway(cloud: CloudService, gateway: GatewayPublisher) -> None:
    """A status message sets the gateway's state, start time, firmware and outbox depth."""
    status = GatewayStatus(
        msg_id=new_message_id(),
        gateway_id=GATEWAY,
        ts=START,
        state=GatewayState.ONLINE,
        started_at=START - timedelta(hours=1),
        firmware="1.2.3",
        outbox_depth=7,
    )

    gateway.publish(topic_for(GATEWAY, TopicKind.STATUS), encode(status))

    wait_until(lambda: cloud.stats.accepted == 1, what="status accepted")
    with cloud.sessions() as session:
        row = session.get(Gateway, GATEWAY)
        assert row is not None
        assert (row.state, row.started_at, row.firmware, row.outbox_depth, row.last_seen_at) == (
            "online",
            START - timedelta(hours=1),
            "1.2.3",
            7,
            START,
        )


def test_location_fix_is_stored_with_a_tracker_device(cloud: CloudService, gateway: GatewayPublisher) -> None:
    """A location fix is kept in the location history and registers its device as a tracker."""
    fix = LocationFix(
        msg_id=new_message_id(),
        gateway_id=GATEWAY,
        ts=START,
        device_id="tag-1",
        lat=35.7126,
        lon=139.7800,
        accuracy_m=8.0,
        source=LocationSource.GPS,
        battery_pct=64.0,
    )

    gateway.publish(topic_for(GATEWAY, TopicKind.LOCATION), encode(fix))

    wait_until(lambda: cloud.stats.accepted == 1, what="fix accepted")
    with cloud.sessions() as session:
        record = session.scalars(select(LocationRecord)).one()
        device = session.scalars(select(Device).where(Device.device_id == "tag-1")).one()
    assert (record.lat, record.lon, record.source) == (35.7126, 139.7800, "gps")
    assert (device.kind, device.battery_pct) == ("tracker", 64.0)


def test_event_is_stored_with_its_household(cloud: CloudService, gateway: GatewayPublisher) -> None:
    """An event is stored under its gateway's household, and its device is registered by kind and room."""
    message = event(device_id="door-front", room="entrance", kind=EventKind.DOOR_OPENED)

    gateway.publish(events_topic(), encode(message))

    wait_stored(cloud, message.msg_id)
    with cloud.sessions() as session:
        stored = session.scalars(select(StoredEvent)).one()
        device = session.scalars(select(Device).where(Device.device_id == "door-front")).one()
    assert (stored.household_id, stored.kind, stored.ts) == (HOUSEHOLD, "door_opened", START)
    assert (device.kind, device.room) == ("door", "entrance")


def test_gateway_registered_while_running_is_accepted(cloud: CloudService, gateway: GatewayPublisher) -> None:
    """A gateway registered after start is accepted once the service is told of the change."""
    from cloud.provisioning import add_gateway

    add_gateway(cloud.sessions, gateway_id="gw-taito-0002", household_id=HOUSEHOLD)
    cloud.refresh_households()
    message = event(gateway_id="gw-taito-0002")

    gateway.publish(events_topic("gw-taito-0002"), encode(message))

    wait_stored(cloud, message.msg_id)


@pytest.mark.skipif(shutil.which("mosquitto_pub") is None, reason="mosquitto_pub (mosquitto-clients) not installed")
def test_readme_mosquitto_pub_example_is_accepted(cloud: CloudService, mosquitto: MosquittoBroker) -> None:
    """The README's mosquitto_pub command publishes an event that ends up stored."""
    command = shlex.split(MOSQUITTO_PUB_EXAMPLE.replace("-p 1883", f"-p {mosquitto.port}"))

    subprocess.run(command, check=True, timeout=10)

    wait_stored(cloud, "readme-example-0001")
    assert cloud.stats.rejected_total == 0


def test_mqtt_3_1_1_broker_is_supported(start_service: Callable[..., CloudService], gateway: GatewayPublisher) -> None:
    """With mqtt_protocol 3.1.1 (brokers without MQTT 5) messages are stored all the same."""
    service = start_service(mqtt_protocol="3.1.1")
    message = event()

    gateway.publish(events_topic(), encode(message))

    wait_stored(service, message.msg_id)


def test_message_published_while_the_service_is_down_is_stored_after_restart(
    start_service: Callable[..., CloudService], gateway: GatewayPublisher
) -> None:
    """The persistent session keeps messages sent while the service was stopped; they are stored on start."""
    first = start_service()
    first.stop()
    message = event()

    gateway.publish(events_topic(), encode(message))
    second = start_service()

    wait_stored(second, message.msg_id)
