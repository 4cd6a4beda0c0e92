"""The baseline: a bare paho-mqtt subscriber at QoS 1 that only counts what it receives."""

from __future__ import annotations

from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.broker import BenchBroker
from bench.shared import CONTEXT, SharedInt, shared_int
from protocol import uplink_filter


def run_counting_subscriber(*, host: str, port: int, received: SharedInt, ready: EventType) -> None:
    """Process entry: subscribe to every gateway's uplink at QoS 1 and count messages forever."""
    count = 0

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        client.subscribe(uplink_filter(), qos=1)

    def on_subscribe(client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        ready.set()

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        nonlocal count
        count += 1
        received.value = count

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-baseline", clean_session=True)
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, port, keepalive=60)
    client.loop_forever()


class CountingSubscriber:
    """The baseline consumer: `run_counting_subscriber` in a process of its own."""

    name = "baseline"

    def __init__(self) -> None:
        self._received = shared_int()
        self._process: BaseProcess | None = None

    def start(self, broker: BenchBroker) -> None:
        """Start the subscriber and wait until its subscription is in place."""
        ready = CONTEXT.Event()
        self._process = CONTEXT.Process(
            target=run_counting_subscriber,
            kwargs={"host": broker.host, "port": broker.port, "received": self._received, "ready": ready},
            name="baseline-subscriber",
        )
        self._process.start()
        if not ready.wait(15):
            raise RuntimeError("the baseline subscriber did not subscribe within 15 s")

    def processed(self) -> int:
        return self._received.value

    def details(self) -> dict[str, int]:
        return {"received": self._received.value}

    @property
    def pid(self) -> int:
        if self._process is None or self._process.pid is None:
            raise RuntimeError("the baseline subscriber is not running")
        return self._process.pid

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(timeout=10)
            self._process = None
