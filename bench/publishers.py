"""Load publishers: processes that each play many gateways, sending pre-encoded QoS 1 messages.

A publisher process prepares every packet it will send before the start signal, then writes
them in chunks to a few MQTT connections, keeping at most `window` unacknowledged per
connection (QoS 1 flow control: the broker answers each PUBLISH with a PUBACK once it holds
the message). It either sends as fast as the broker takes it, or paced at a fixed rate.
"""

from __future__ import annotations

import select
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event as EventType

from bench.mqtt_wire import DISCONNECT, PUBACK_LENGTH, open_session, packet_id_for, publish_packet
from bench.payloads import gateway_templates, message_id, round_robin
from bench.shared import SharedFloat, SharedInt


@dataclass(frozen=True, slots=True)
class PublisherSpec:
    """What one publisher process sends, and how."""

    index: int
    host: str
    port: int
    run_tag: str
    gateway_ids: tuple[str, ...]
    messages: int
    connections: int = 4
    window: int = 2000
    chunk: int = 100
    rate_per_s: float | None = None
    duplicate_every: int = 0
    duration_s: float = 60.0


@dataclass(slots=True)
class PublisherCounters:
    """Shared-memory counters a publisher updates and the conductor reads."""

    ready: EventType
    sent: SharedInt
    acked: SharedInt
    finished_at: SharedFloat


def build_packets(spec: PublisherSpec, connection: int, count: int) -> list[bytes]:
    """Encode every PUBLISH one connection of this publisher will send, in order."""
    gateways = spec.gateway_ids[connection :: spec.connections] or spec.gateway_ids
    now = datetime.now(UTC)
    cycles = [gateway_templates(gid, ts=now, started_at=now - timedelta(hours=6)) for gid in gateways]
    stream = spec.index * spec.connections + connection
    packets: list[bytes] = []
    previous: tuple[str, bytes, bool] | None = None
    for sequence, template in zip(range(count), round_robin(cycles), strict=False):
        if spec.duplicate_every and previous and sequence % spec.duplicate_every == spec.duplicate_every - 1:
            # a gateway re-sends a message whose PUBACK it never saw: same msg_id, new packet id
            topic, payload, retain = previous
        else:
            msg_id = message_id(spec.run_tag, stream, sequence)
            topic, payload, retain = template.topic, template.stamp(msg_id), template.retain
            previous = (topic, payload, retain)
        packets.append(publish_packet(topic, payload, packet_id=packet_id_for(sequence), retain=retain))
    return packets


def run_publisher(spec: PublisherSpec, counters: PublisherCounters, go: EventType) -> None:
    """Process entry: connect, prepare packets, wait for `go`, send them all, wait for the acks."""
    share, extra = divmod(spec.messages, spec.connections)
    counts = [share + (1 if c < extra else 0) for c in range(spec.connections)]
    packets = [build_packets(spec, c, counts[c]) for c in range(spec.connections)]
    socks = [
        open_session(spec.host, spec.port, f"bench-pub-{spec.run_tag}-{spec.index}-{c}")
        for c in range(spec.connections)
    ]
    for sock in socks:
        sock.settimeout(None)
    sent = [0] * spec.connections
    acked = [0] * spec.connections
    leftover = [0] * spec.connections
    counters.ready.set()
    go.wait()

    started = time.monotonic()
    deadline = started + spec.duration_s
    per_connection_rate = spec.rate_per_s / spec.connections if spec.rate_per_s else None
    sending_done = False
    while True:
        now = time.monotonic()
        can_send = False
        if not sending_done:
            for c, sock in enumerate(socks):
                limit = min(counts[c], acked[c] + spec.window, sent[c] + spec.chunk)
                if per_connection_rate is not None:
                    limit = min(limit, int(per_connection_rate * (now - started)) + 1)
                if limit > sent[c]:
                    sock.sendall(b"".join(packets[c][sent[c] : limit]))
                    sent[c] = limit
                can_send = can_send or sent[c] < counts[c]
            counters.sent.value = sum(sent)
            if not can_send or now > deadline:
                sending_done = True
                counters.finished_at.value = time.monotonic()
        if sending_done and (all(a >= s for a, s in zip(acked, sent, strict=True)) or now > deadline + 10):
            break
        window_full = all(sent[c] - acked[c] >= spec.window or sent[c] >= counts[c] for c in range(spec.connections))
        timeout = 0.0 if not window_full and per_connection_rate is None else 0.002
        readable, _, _ = select.select(socks, [], [], timeout if not sending_done else 0.05)
        for sock in readable:
            c = socks.index(sock)
            data = sock.recv(1 << 16)
            if not data:
                raise ConnectionError(f"broker closed publisher connection {spec.index}/{c}")
            total = leftover[c] + len(data)
            acked[c] += total // PUBACK_LENGTH
            leftover[c] = total % PUBACK_LENGTH
        counters.acked.value = sum(acked)
    for sock in socks:
        sock.sendall(DISCONNECT)
        sock.close()
