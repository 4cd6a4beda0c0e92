"""MQTT ingest: subscribe to every gateway, store in batches, acknowledge only after the commit.

MQTT 5 by default, with a large Receive Maximum (mosquitto otherwise stops at 20 unacknowledged
QoS 1 messages) and a persistent session (clean_start False, a week's expiry), so messages sent
while the cloud is down wait at the broker.

The paho network thread only queues messages. One worker thread owns everything else: it
collects a batch, validates and stores it, acknowledges it (at-least-once: a crash before the
commit means the broker delivers again and the duplicate is dropped), feeds the rules, runs
their timers and saves their checkpoint. So the rule engine is never touched by two threads.
"""

from __future__ import annotations

import logging
import queue
import ssl
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import timedelta
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.client import PUBACK
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.exc import OperationalError

from alerts.signals import Observation
from cloud.config import Settings
from cloud.ingest.pipeline import Accepted, IngestPipeline, RawMessage
from cloud.ingest.rules import RuleStream
from cloud.ingest.stats import IngestSnapshot, IngestStats
from cloud.telemetry import TelemetryUnavailable
from protocol import uplink_filter

log = logging.getLogger(__name__)

T = TypeVar("T")

# Unacknowledged QoS 1 messages the broker may send ahead: ten batches' worth keeps the worker fed,
# and bounds what waits in memory when ingest falls behind (65,535 let the queue reach 600 MB).
RECEIVE_MAXIMUM = 10_000
SESSION_EXPIRY_S = 7 * 24 * 3600
STORE_RETRY_MAX_S = 5.0
PRUNE_INTERVAL_S = 600.0
RECV_CHUNK = 256 * 1024
_PUBACK = struct.Struct("!BBH")


class _IngestClient(mqtt.Client):
    """A paho client tuned for one QoS 1 subscription at thousands of messages a second.

    paho reads each packet with several 1-byte recv calls and returns to select() after every
    packet; this reads up to RECV_CHUNK bytes at once and parses every complete packet in the
    buffer before waiting again. Incoming PUBLISH packets go straight to a callback, and
    acknowledgements go out many to a write. These override paho internals (pinned < 3); the
    tests run them against a real Mosquitto over MQTT 5 and 3.1.1.
    """

    def __init__(
        self, *args: Any, on_publish_received: Callable[[bytes, bytes, int, int], None], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._read_buffer = bytearray()
        self._read_offset = 0
        self._on_publish_received = on_publish_received

    def _handle_publish(self) -> MQTTErrorCode:
        """Hand a QoS 0/1 PUBLISH straight to ingest: topic, payload, packet id, QoS.

        paho builds an MQTTMessage, parses MQTT 5 properties into objects and formats a debug line
        for every message; ingest needs none of that, and it is a tenth of the CPU per message.
        """
        command = self._in_packet["command"]
        qos = (command & 0x06) >> 1
        if qos == 2:
            return super()._handle_publish()  # never subscribed at QoS 2; keep paho's handshake anyway
        packet = self._in_packet["packet"]
        try:
            topic_end = 2 + int.from_bytes(packet[0:2], "big")
            topic = bytes(packet[2:topic_end])
            position = topic_end
            mid = 0
            if qos:
                mid = int.from_bytes(packet[position : position + 2], "big")
                position += 2
            if self._protocol == MQTTProtocolVersion.MQTTv5:
                # skip the properties: a variable-byte length, then that many bytes
                length, shift = 0, 0
                while True:
                    byte = packet[position]
                    position += 1
                    length |= (byte & 0x7F) << shift
                    if not byte & 0x80:
                        break
                    shift += 7
                position += length
            payload = bytes(packet[position:])
        except IndexError:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        self._on_publish_received(topic, payload, mid, qos)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._read_offset >= len(self._read_buffer):
            chunk = super()._sock_recv(RECV_CHUNK)
            if not chunk:
                return chunk
            self._read_buffer = bytearray(chunk)
            self._read_offset = 0
        start = self._read_offset
        end = min(start + bufsize, len(self._read_buffer))
        self._read_offset = end
        return bytes(self._read_buffer[start:end])

    def _buffered(self) -> bool:
        return self._read_offset < len(self._read_buffer)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._buffered():
            rc = super().loop_read(max_packets)
        return rc

    def ack_many(self, mids: list[int]) -> None:
        """Acknowledge QoS 1 messages with one write, not one packet (and one wake-up) each."""
        if not mids:
            return
        # PUBACK without reason code or properties is the same 4 bytes in MQTT 3.1.1 and 5
        packet = b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])
        self._packet_queue(PUBACK, packet, 0, 0)

    def _sock_close(self) -> None:
        # bytes of a dead connection must never be parsed as the start of the next one
        self._read_buffer = bytearray()
        self._read_offset = 0
        super()._sock_close()


class MqttIngest:
    """Consume gateway messages from the broker into the stores and the rules."""

    def __init__(
        self,
        *,
        settings: Settings,
        pipeline: IngestPipeline,
        rules: RuleStream | None,
        stats: IngestStats,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._pipeline = pipeline
        self._rules = rules
        self._stats = stats
        self._on_stored = on_stored
        self._queue: queue.SimpleQueue[RawMessage | None] = queue.SimpleQueue()
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._generation = 0
        self._client: _IngestClient = self._make_client()

    # --- the broker side -------------------------------------------------------------------

    def _make_client(self) -> _IngestClient:
        settings = self._settings
        mqtt5 = settings.mqtt_protocol == "5"
        client = _IngestClient(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=settings.mqtt_client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if mqtt5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if mqtt5 else False,
            manual_ack=True,
            on_publish_received=self._on_publish_received,
        )
        if settings.mqtt_username:
            password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
            client.username_pw_set(settings.mqtt_username, password)
        if settings.mqtt_tls_ca is not None:
            client.tls_set(ca_certs=str(settings.mqtt_tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        return client

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, properties: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the connection: %s", reason)
            return
        self._generation += 1
        log.info("connected to broker %s:%d", self._settings.mqtt_host, self._settings.mqtt_port)
        client.subscribe(uplink_filter(), qos=1)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        failed = [reason for reason in reasons if reason.is_failure]
        if failed:
            log.error("broker refused the subscription to %s: %s", uplink_filter(), failed[0])
            return
        # connected counts from here: before the subscription is in place, messages could pass us by
        self._stats.broker_connected = True

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, properties: Any
    ) -> None:
        self._stats.broker_connected = False
        if not self._stopping.is_set():
            log.warning("lost the broker (%s); reconnecting", reason)

    def _on_publish_received(self, topic: bytes, payload: bytes, mid: int, qos: int) -> None:
        try:
            text = topic.decode()
        except UnicodeDecodeError:
            text = "<topic not UTF-8>"  # counted as bad_topic by the pipeline
        self._queue.put(RawMessage(text, payload, mid, qos, self._generation))

    def _ack(self, batch: list[RawMessage]) -> None:
        generation = self._generation
        # a packet id from before a reconnect may now name another message: let the broker resend it
        self._client.ack_many([raw.mid for raw in batch if raw.qos == 1 and raw.generation == generation])

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (in the background, retrying) and start the worker."""
        settings = self._settings
        self._worker = threading.Thread(target=self._run, name="mimamori-ingest", daemon=True)
        self._worker.start()
        if settings.mqtt_protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_S
            # mosquitto otherwise holds back QoS 1 messages beyond 20 unacknowledged ones
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
            self._client.connect_async(
                settings.mqtt_host,
                settings.mqtt_port,
                settings.mqtt_keepalive_s,
                clean_start=False,
                properties=properties,
            )
        else:
            self._client.connect_async(settings.mqtt_host, settings.mqtt_port, settings.mqtt_keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Finish the batch at hand, save the rule state and disconnect; queued messages stay unacknowledged."""
        self._stopping.set()
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout=30)
            self._worker = None
        self._client.disconnect()
        self._client.loop_stop()
        self._stats.broker_connected = False

    def call(self, action: Callable[[], T], *, timeout: float = 30.0) -> T:
        """Run `action` on the ingest thread (the one that owns the rules) and return its result."""
        worker = self._worker
        if worker is None or not worker.is_alive() or threading.current_thread() is worker:
            return action()
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(action())
            except BaseException as exc:
                future.set_exception(exc)

        self._commands.put(run)
        self._queue.put(None)  # wake the worker
        return future.result(timeout=timeout)

    def snapshot(self) -> IngestSnapshot:
        """Return the counters now."""
        return self._stats.snapshot(queue_depth=self._queue.qsize())

    # --- the worker ----------------------------------------------------------------------------

    def _collect(self, timeout: float) -> list[RawMessage]:
        try:
            first = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return []
        if first is None:
            return []  # woken for a command or to stop
        batch = [first]
        limit = self._settings.ingest_batch_size
        wait = self._settings.ingest_batch_wait_s
        if wait > 0 and self._queue.qsize() < limit - 1:
            # let a batch gather: waking for every message costs more than the message itself
            time.sleep(wait)
        get = self._queue.get_nowait
        while len(batch) < limit:
            try:
                item = get()
            except queue.Empty:
                break
            if item is not None:
                batch.append(item)
        return batch

    def _run(self) -> None:
        settings = self._settings
        next_tick = time.monotonic()
        next_checkpoint = time.monotonic() + settings.checkpoint_interval_s
        next_prune = time.monotonic() + 1.0
        while not self._stopping.is_set():
            wait = min(next_tick, next_checkpoint) - time.monotonic()
            batch = self._collect(wait)
            self._run_commands()
            if batch:
                self._handle(batch)
            now = time.monotonic()
            if self._rules is not None and now >= next_tick:
                self._rules.tick()
                next_tick = now + settings.rule_tick_s
            if self._rules is not None and now >= next_checkpoint:
                self._rules.save_checkpoint()
                next_checkpoint = now + settings.checkpoint_interval_s
            if now >= next_prune:
                self._prune()
                next_prune = now + PRUNE_INTERVAL_S
        self._run_commands()
        if self._rules is not None:
            self._rules.save_checkpoint(wait=True)

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()

    def _handle(self, batch: list[RawMessage]) -> None:
        started = time.perf_counter()
        accepted = self._pipeline.validate(batch)
        observations = self._store(accepted)
        if observations is None:
            return  # stopping with the database away: the broker keeps the batch for next time
        self._ack(batch)
        self._stats.batches += 1
        self._stats.last_batch_size = len(batch)
        self._stats.last_batch_seconds = time.perf_counter() - started
        if observations and self._rules is not None:
            self._rules.observe(observations)
        if accepted and self._on_stored is not None:
            self._on_stored()

    def _store(self, accepted: list[Accepted]) -> list[Observation] | None:
        delay = 0.1
        while True:
            try:
                return self._pipeline.store(accepted)
            except (OperationalError, TelemetryUnavailable) as exc:
                # the database or the telemetry server is away or locked: keep the batch (unacknowledged)
                # and try again
                if self._stopping.is_set():
                    return None
                reason = exc.orig if isinstance(exc, OperationalError) else exc
                log.error("could not store a batch of %d (%s); retrying in %.1fs", len(accepted), reason, delay)
                time.sleep(delay)
                delay = min(delay * 2, STORE_RETRY_MAX_S)
            except Exception:
                log.exception("a batch of %d failed to store; storing its messages one by one", len(accepted))
                return self._store_one_by_one(accepted)

    def _store_one_by_one(self, accepted: list[Accepted]) -> list[Observation]:
        observations: list[Observation] = []
        for item in accepted:
            try:
                observations.extend(self._pipeline.store([item]))
            except Exception as exc:
                self._stats.reject("store_error")
                log.error("dropped message %s of %s: %s", item.message.msg_id, item.message.gateway_id, exc)
        return observations

    def _prune(self) -> None:
        try:
            removed = self._pipeline.prune_seen(older_than=timedelta(days=self._settings.dedup_retention_days))
        except Exception:
            log.exception("could not prune old message ids")
            return
        if removed:
            log.info("forgot %d message ids older than %s days", removed, self._settings.dedup_retention_days)
