"""Fixtures of the gateway tests: an MQTT subscriber on the real broker, stand-in sysfs, mock pins."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import paho.mqtt.publish as publish
import pytest
from gpiozero.pins.mock import MockFactory
from paho.mqtt.enums import CallbackAPIVersion

from edge import GatewayAgent, ReconnectPolicy
from firmware_config import GatewaySettings
from protocol import Clock, GatewayConfig, TopicKind, encode, new_message_id, topic_for
from tests.support import MosquittoBroker, wait_until
from tests.support.gateway_process import SysfsStandIn

GW = "gw-test-001"


def config_message(gateway_id: str, *, heartbeat_s: int, reading_s: int) -> bytes:
    """Return the wire bytes of a GatewayConfig as the cloud would send it."""
    return encode(
        GatewayConfig(
            msg_id=new_message_id(),
            gateway_id=gateway_id,
            ts=datetime.now(UTC),
            heartbeat_interval_s=heartbeat_s,
            reading_interval_s=reading_s,
        )
    )


def publish_config(broker: MosquittoBroker, payload: bytes, *, retain: bool = False) -> None:
    """Publish bytes on the test gateway's config topic, as the cloud does."""
    publish.single(
        topic_for(GW, TopicKind.CONFIG), payload, qos=1, retain=retain, hostname=broker.host, port=broker.port
    )


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.payload)
        return body


class MqttRecorder:
    """A paho subscriber that records everything on a topic filter, across broker restarts."""

    def __init__(self, broker: MosquittoBroker, topic: str = "mimamori/#", *, client_id: str = "") -> None:
        self.topic = topic
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        # a named client keeps a persistent session, so messages queued while it was away arrive
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=not client_id)
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=0.5)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise AssertionError("recorder did not subscribe")

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(self.topic, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.received.append(Received(message.topic, bytes(message.payload), bool(message.retain)))

    def on(self, suffix: str) -> list[Received]:
        """Return the messages whose topic ends with `suffix` (e.g. "/events"), in arrival order."""
        with self._lock:
            return [item for item in self.received if item.topic.endswith(suffix)]

    def wait_for(
        self, suffix: str, condition: Callable[[list[Received]], bool] = bool, *, timeout: float = 15.0
    ) -> list[Received]:
        """Wait until there are messages on `suffix` that satisfy `condition`, and return them."""

        def satisfied() -> list[Received]:
            items = self.on(suffix)
            return items if items and condition(items) else []

        return wait_until(satisfied, timeout=timeout, what=f"messages on *{suffix}")

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def recorder(mosquitto: MosquittoBroker) -> Iterator[MqttRecorder]:
    """A subscriber on mimamori/# with a persistent session on the test's broker."""
    # run as root, mosquitto drops to its own user and could not save the session it must keep
    # across a stop/start (nor write its log) in the root-owned work folder
    mosquitto.workdir.chmod(0o777)
    subscriber = MqttRecorder(mosquitto, client_id="test-recorder")
    yield subscriber
    subscriber.stop()


@pytest.fixture
def sysfs(tmp_path: Path) -> SysfsStandIn:
    """A stand-in /sys with one DS18B20 at 21.562 °C and an SHT3x at 22.0 °C / 45.5 %."""
    stand_in = SysfsStandIn(tmp_path / "sys")
    stand_in.set_ds18b20("28-0000072431b2", millidegrees=21_562)
    stand_in.set_hwmon("sht3x", temp_millidegrees=22_000, humidity_millipercent=45_500)
    return stand_in


@pytest.fixture
def pins() -> MockFactory:
    """A fresh gpiozero mock pin factory."""
    return MockFactory()


@contextmanager
def running_agent(
    settings: GatewaySettings, *, pins: MockFactory, clock: Clock | None = None
) -> Iterator[GatewayAgent]:
    """Run a real GatewayAgent in a thread of its own for the length of the block."""
    agent = GatewayAgent(settings, clock=clock, pin_factory=pins, reconnect=ReconnectPolicy(initial_s=0.1, cap_s=0.5))
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            asyncio.run(agent.run())
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=serve, name="agent", daemon=True)
    thread.start()
    wait_until(lambda: agent.ready.is_set() or failures, timeout=10, what="the agent to start")
    try:
        yield agent
    finally:
        agent.stop()
        thread.join(timeout=15)
    assert not thread.is_alive(), "the agent did not stop"
    if failures:
        raise failures[0]
