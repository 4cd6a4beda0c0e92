"""MQTT uplink of the gateway: drains the outbox to the broker, reports status, takes config.

- QoS 1 and a persistent session: client id = gateway id, ``clean_session=False``.
- Last Will: a retained ``GatewayStatus(state=offline, reason="connection_lost")`` on the
  status topic, so the cloud learns of a dead gateway from the broker (after 1.5× keepalive,
  or at once when the TCP connection drops).
- On connect: a retained online status (start time, outbox depth, firmware), then every
  ``heartbeat_interval_s``; on a clean stop a retained offline status with reason "shutdown".
- Config: the retained ``mimamori/v1/<gw>/config`` topic; a valid `GatewayConfig` for this
  gateway changes the heartbeat period here and is handed to the agent (reading period).
- Drain: aiomqtt's ``publish(qos=1)`` returns only after the PUBACK (it waits on paho's
  ``on_publish``, which paho calls for QoS 1 when the PUBACK arrives), and only then is the
  outbox row removed. Up to ``window`` publishes are in flight together; paho sends them on
  one TCP connection in outbox order and the broker forwards one client's messages in order,
  so the window keeps the order and only costs duplicates (dropped by msg_id in the cloud)
  when a connection breaks with messages in flight.
- Reconnect: exponential backoff with jitter, 1 s doubling to a 60 s cap, reset after a
  successful connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiomqtt import Client, Message, MqttError, TLSParameters, Will

from edge.const import FIRMWARE_VERSION
from edge.outbox import GatewayOutbox
from firmware_config import GatewaySettings
from protocol import (
    Clock,
    GatewayConfig,
    GatewayState,
    GatewayStatus,
    PayloadError,
    TopicKind,
    decode,
    encode,
    new_message_id,
    topic_for,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Exponential backoff with jitter between connection attempts."""

    initial_s: float = 1.0
    cap_s: float = 60.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        """Return how long to wait before the attempt after `attempt` failures (0-based)."""
        ceiling = min(self.cap_s, self.initial_s * self.factor**attempt)
        # "equal jitter": at least half the ceiling, so a fleet coming back after a broker
        # outage spreads out without any gateway retrying in a tight loop
        return ceiling / 2 + random.uniform(0, ceiling / 2)


DEFAULT_RECONNECT = ReconnectPolicy()


class GatewayUplink:
    """Keep one gateway connected to its broker and forward its outbox."""

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        outbox: GatewayOutbox,
        clock: Clock,
        started_at: datetime,
        on_config: Callable[[GatewayConfig], None] | None = None,
        reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
        window: int = 10,
        publish_timeout_s: float = 30.0,
    ) -> None:
        self.settings = settings
        self.gateway_id = settings.gateway_id
        self.outbox = outbox
        self.clock = clock
        self.started_at = started_at
        self.heartbeat_interval_s = settings.heartbeat_interval_s
        self.reconnect = reconnect
        self.window = window
        self.publish_timeout_s = publish_timeout_s
        self.sent = 0
        self.connections = 0
        self.rejected_configs = 0
        self._on_config = on_config
        self._wake = asyncio.Event()
        self._retime = asyncio.Event()
        self._stopping = asyncio.Event()
        self._connected = False

    @property
    def connected(self) -> bool:
        """Tell whether the broker connection is up now."""
        return self._connected

    def notify(self) -> None:
        """Tell the uplink the outbox has something new; call from the loop thread."""
        self._wake.set()

    def stop(self) -> None:
        """Ask `run` to say goodbye to the broker and return; call from the loop thread."""
        self._stopping.set()

    async def run(self) -> None:
        """Stay connected and forward the outbox until `stop` is called."""
        failures = 0
        while not self._stopping.is_set():
            try:
                async with self._client() as client:
                    failures = 0
                    await self._session(client)
                    return
            except MqttError as exc:
                delay = self.reconnect.delay(failures)
                failures += 1
                log.warning(
                    "uplink to %s:%d down (%s); retrying in %.1f s",
                    self.settings.mqtt.host,
                    self.settings.mqtt.port,
                    exc,
                    delay,
                )
            finally:
                self._connected = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    def status(self, state: GatewayState, *, reason: str | None = None) -> GatewayStatus:
        """Build a status message of this gateway as of now."""
        now = self.clock.now()
        return GatewayStatus(
            msg_id=new_message_id(),
            gateway_id=self.gateway_id,
            ts=now,
            state=state,
            started_at=self.started_at,
            uptime_s=max(0.0, (now - self.started_at).total_seconds()),
            outbox_depth=self.outbox.depth(),
            firmware=FIRMWARE_VERSION,
            reason=reason,
        )

    def _client(self) -> Client:
        # a fresh client per connection: the outbox, not paho's memory, is what gets replayed
        mqtt = self.settings.mqtt
        tls = None
        if mqtt.tls is not None:
            tls = TLSParameters(
                ca_certs=str(mqtt.tls.ca_file) if mqtt.tls.ca_file else None,
                certfile=str(mqtt.tls.cert_file) if mqtt.tls.cert_file else None,
                keyfile=str(mqtt.tls.key_file) if mqtt.tls.key_file else None,
            )
        will = Will(
            topic=self._topic(TopicKind.STATUS),
            payload=encode(self.status(GatewayState.OFFLINE, reason="connection_lost")),
            qos=1,
            retain=True,
        )
        return Client(
            mqtt.host,
            mqtt.port,
            username=mqtt.username,
            password=mqtt.password,
            identifier=self.gateway_id,
            clean_session=False,
            keepalive=mqtt.keepalive_s,
            will=will,
            tls_params=tls,
            timeout=self.publish_timeout_s,
        )

    def _topic(self, kind: TopicKind) -> str:
        return topic_for(self.gateway_id, kind)

    async def _session(self, client: Client) -> None:
        """Run one connection until it breaks (MqttError) or a stop is asked for."""
        self.connections += 1
        await client.subscribe(self._topic(TopicKind.CONFIG), qos=1)
        await self._publish_status(client, GatewayState.ONLINE)
        self._connected = True
        log.info("uplink connected to %s:%d", self.settings.mqtt.host, self.settings.mqtt.port)
        work: list[Coroutine[Any, Any, None]] = [self._drain(client), self._heartbeat(client), self._listen(client)]
        tasks = [asyncio.create_task(job) for job in work]
        stop = asyncio.create_task(self._stopping.wait())
        try:
            done, _ = await asyncio.wait([*tasks, stop], return_when=asyncio.FIRST_COMPLETED)
        finally:
            # cancel the siblings too, or a publish would still wait on a dead connection
            for task in [*tasks, stop]:
                task.cancel()
            await asyncio.gather(*tasks, stop, return_exceptions=True)
        for task in done:
            failure = None if task is stop else task.exception()
            if failure is not None:
                raise failure
        self._connected = False
        # a clean goodbye replaces the Last Will, which the broker drops on a normal disconnect
        with contextlib.suppress(MqttError, TimeoutError):
            async with asyncio.timeout(2.0):
                await self._publish_status(client, GatewayState.OFFLINE, reason="shutdown")
        log.info("uplink closed")

    async def _publish_status(self, client: Client, state: GatewayState, *, reason: str | None = None) -> None:
        payload = encode(self.status(state, reason=reason))
        await client.publish(self._topic(TopicKind.STATUS), payload, qos=1, retain=True)

    async def _drain(self, client: Client) -> None:
        """Publish outbox rows in order and remove each one after its PUBACK."""
        while True:
            self._wake.clear()
            entries = self.outbox.peek(self.window)
            if not entries:
                await self._wake.wait()
                continue
            results = await asyncio.gather(
                *(client.publish(self._topic(entry.kind), entry.payload, qos=1) for entry in entries),
                return_exceptions=True,
            )
            acked = [entry.seq for entry, result in zip(entries, results, strict=True) if result is None]
            self.outbox.remove(acked)
            self.sent += len(acked)
            for result in results:
                if isinstance(result, BaseException):
                    raise result

    async def _heartbeat(self, client: Client) -> None:
        """Publish the online status every heartbeat period; a new period starts a fresh wait."""
        while True:
            self._retime.clear()
            try:
                await asyncio.wait_for(self._retime.wait(), timeout=self.heartbeat_interval_s)
            except TimeoutError:
                await self._publish_status(client, GatewayState.ONLINE)

    async def _listen(self, client: Client) -> None:
        """Apply configuration messages as they arrive (the retained one first)."""
        async for message in client.messages:
            self._apply(message)

    def _apply(self, message: Message) -> None:
        if not message.payload:
            return  # the retained config was cleared: keep what we run with
        payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
        try:
            config = decode(TopicKind.CONFIG, payload)
        except PayloadError as exc:
            self.rejected_configs += 1
            log.warning("config on %s refused: %s", message.topic, exc)
            return
        if not isinstance(config, GatewayConfig) or config.gateway_id != self.gateway_id:
            self.rejected_configs += 1
            log.warning("config on %s is for gateway %s", message.topic, getattr(config, "gateway_id", "?"))
            return
        if config.heartbeat_interval_s != self.heartbeat_interval_s:
            log.info("heartbeat every %d s (was %d s)", config.heartbeat_interval_s, self.heartbeat_interval_s)
            self.heartbeat_interval_s = config.heartbeat_interval_s
            self._retime.set()
        if self._on_config is not None:
            self._on_config(config)
