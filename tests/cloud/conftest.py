"""Fixtures of the cloud tests: a started CloudService on a real Mosquitto, and a gateway that publishes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from cloud.config import Settings
from cloud.db import StoredEvent
from cloud.provisioning import add_contact, add_gateway, add_household
from cloud.service import CloudService
from protocol import Event, EventKind, ManualClock, TopicKind, new_message_id, topic_for
from tests.support import MosquittoBroker, wait_until

# a weekday morning in Tokyo (09:00 JST): outside the night window of the default settings
START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
HOUSEHOLD = "taito-0001"
GATEWAY = "gw-taito-0001"


class GatewayPublisher:
    """Publishes like a gateway: QoS 1, waits until the broker has each message."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self._client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=new_message_id())
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def publish(self, topic: str, payload: bytes) -> None:
        info = self._client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def event(
    *,
    gateway_id: str = GATEWAY,
    kind: EventKind = EventKind.MOTION_DETECTED,
    device_id: str = "pir-living",
    msg_id: str | None = None,
    ts: datetime = START,
    room: str | None = "living",
) -> Event:
    """Return an event message of a gateway."""
    return Event(
        msg_id=msg_id or new_message_id(), gateway_id=gateway_id, ts=ts, device_id=device_id, kind=kind, room=room
    )


def events_topic(gateway_id: str = GATEWAY) -> str:
    return topic_for(gateway_id, TopicKind.EVENTS)


def stored_event_count(service: CloudService, msg_id: str | None = None) -> int:
    """Count the events in the entity store (of one message id, when given)."""
    query = select(func.count()).select_from(StoredEvent)
    if msg_id is not None:
        query = query.where(StoredEvent.msg_id == msg_id)
    with service.sessions() as session:
        return int(session.scalar(query) or 0)


def wait_stored(service: CloudService, msg_id: str, *, timeout: float = 10.0) -> None:
    """Wait until the event with this message id is stored."""
    wait_until(lambda: stored_event_count(service, msg_id) == 1, timeout=timeout, what=f"event {msg_id} stored")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def make_settings(tmp_path: Path, mosquitto: MosquittoBroker, database_url: str) -> Callable[..., Settings]:
    """Build settings for a service of this test (own data dir, the test's broker, API off).

    The entity database is SQLite in the data dir, or the test's PostgreSQL database (see database_url).
    """

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "mqtt_host": mosquitto.host,
            "mqtt_port": mosquitto.port,
            "api_port": None,
            "rule_tick_s": 0.05,
        }
        if not database_url.startswith("sqlite"):
            values["database_url"] = database_url
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def start_service(make_settings: Callable[..., Settings], clock: ManualClock) -> Iterator[Callable[..., CloudService]]:
    """Start a CloudService with one household and its registered gateway; stopped after the test."""
    started: list[CloudService] = []

    def start(*, contacts: Sequence[str] = (), **overrides: Any) -> CloudService:
        service = CloudService(make_settings(**overrides), clock=clock)
        service.start()
        started.append(service)
        sessions = service.sessions
        from cloud.db import Household

        with sessions() as session:
            known = session.get(Household, HOUSEHOLD) is not None
        if not known:
            add_household(sessions, household_id=HOUSEHOLD, name="田中家", person_name="田中花子", clock=clock)
            add_gateway(sessions, gateway_id=GATEWAY, household_id=HOUSEHOLD, clock=clock)
            for index, url in enumerate(contacts):
                add_contact(sessions, household_id=HOUSEHOLD, name=f"contact {index}", channels=[url], priority=index)
            service.refresh_households()
        wait_until(lambda: service.broker_connected, timeout=10, what="ingest connected")
        return service

    yield start
    for service in reversed(started):
        service.stop()


@pytest.fixture
def cloud(start_service: Callable[..., CloudService]) -> CloudService:
    """A started service with one household (taito-0001) and its gateway (gw-taito-0001)."""
    return start_service()


@pytest.fixture
def gateway(mosquitto: MosquittoBroker) -> Iterator[GatewayPublisher]:
    """A connected MQTT publisher playing the gateway."""
    publisher = GatewayPublisher(mosquitto)
    yield publisher
    publisher.close()
