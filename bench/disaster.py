"""Disaster-alert benchmark: targeting 1,000,000 locations, and a 200,000-message Web Push fan-out.

    .venv/bin/python -m bench.disaster            # both, writes bench/results/disaster.json
    .venv/bin/python -m bench.disaster --messages 20000 --locations 200000   # a quick look

Targeting: 1,000,000 registered locations (uniform over Taito and Sumida) against a corridor
300 m either side of the Sumida river where it bounds Taito (the shared boundary of the two
wards, buffered in EPSG:6677), through `maps.LocationIndex`; baseline: a loop of shapely
`contains(Point)` on the prepared corridor, over a sample of the points, extrapolated.

Fan-out: 200,000 subscriptions, each with its own P-256 key pair and auth secret; each message
is encrypted for its subscription (`alerts.channels.webpush.encrypt`, a fresh ephemeral key
every time) and carries the cached VAPID header; worker processes (one per core) POST them over
kept-alive, pipelined HTTP/1.1 connections to a local endpoint playing the push service (its own
process). The clock runs from the first encryption to the endpoint's 200,000th 201 answer. A
few subscriptions keep their private key and the endpoint keeps their bodies, which are
decrypted at the end to prove the bytes were right.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import platform
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import shapely
from shapely.geometry import Point

from bench.disaster_preview import bench_preview

RESULTS = Path(__file__).resolve().parent / "results" / "disaster.json"
TAITO, SUMIDA = "13106", "13107"
CHECKED = 4  # subscriptions whose payload the endpoint keeps, decrypted at the end


# --- targeting ---------------------------------------------------------------------------------


def sumida_corridor(half_width_m: float = 300.0) -> Any:
    """Return (in plane metres) the corridor along the Sumida where it bounds Taito."""
    from maps import area_in_plane, municipality_boundary

    taito = area_in_plane(municipality_boundary(TAITO))
    sumida = area_in_plane(municipality_boundary(SUMIDA))
    # the simplified boundaries do not touch exactly; the river is where they come within 150 m
    river = shapely.intersection(taito.boundary, sumida.buffer(150))
    corridor = shapely.segmentize(river, 20).buffer(half_width_m, quad_segs=16)
    # vertices every 10 m at most along the edges, as a hand-drawn or surveyed river area has
    return shapely.segmentize(corridor, 10)


def bench_targeting(locations: int, baseline_sample: int, seed: int = 1) -> dict[str, Any]:
    from maps import LocationIndex, area_in_plane, municipality_boundary

    corridor = sumida_corridor()
    vertices = int(shapely.get_num_coordinates(corridor))
    region = shapely.union(
        area_in_plane(municipality_boundary(TAITO)), area_in_plane(municipality_boundary(SUMIDA))
    ).bounds
    rng = np.random.default_rng(seed)
    x = rng.uniform(region[0], region[2], locations)
    y = rng.uniform(region[1], region[3], locations)
    keys = np.arange(locations, dtype=np.int64)

    started = time.perf_counter()
    index = LocationIndex(keys, x, y)
    build_ms = (time.perf_counter() - started) * 1000

    timings = []
    found = np.empty(0)
    for _ in range(7):
        started = time.perf_counter()
        found = index.within(corridor)
        timings.append((time.perf_counter() - started) * 1000)
    targeting_ms = statistics.median(timings)

    shapely.prepare(corridor)
    started = time.perf_counter()
    exact = shapely.intersects_xy(corridor, x, y)
    vectorized_ms = (time.perf_counter() - started) * 1000

    sample = rng.choice(locations, size=min(baseline_sample, locations), replace=False)
    started = time.perf_counter()
    baseline_hits = [int(i) for i in sample if corridor.contains(Point(x[i], y[i]))]
    sample_s = time.perf_counter() - started
    baseline_ms = sample_s * 1000 * locations / len(sample)

    found_set = set(found.tolist())
    return {
        "targeting_ms": round(targeting_ms, 2),
        "targeting_baseline_ms": round(baseline_ms, 1),
        "targeting_ratio": round(baseline_ms / targeting_ms, 1),
        "targeting_baseline_sampled": {
            "points": len(sample),
            "seconds": round(sample_s, 3),
            "note": "the contains(Point) loop ran over this random sample; the full-size figure is extrapolated",
        },
        "targeting_vectorized_contains_ms": round(vectorized_ms, 1),
        "targeting_index_build_ms": round(build_ms, 1),
        "targeting_locations": locations,
        "targeting_polygon_vertices": vertices,
        "targeting_recipients": len(found_set),
        "targeting_exact": found_set == set(np.nonzero(exact)[0].tolist())
        and set(baseline_hits) <= found_set
        and all(bool(exact[i]) == (int(i) in found_set) for i in sample),
        "targeting_runs_ms": [round(t, 2) for t in timings],
    }


# --- fan-out: the push service -----------------------------------------------------------------


class _PushProtocol(asyncio.Protocol):
    """Answer every pipelined POST with 201; count them; keep the bodies of checked paths."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        answers = 0
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = bytes(buffer[:end])
            marker = head.find(b"Content-Length: ")
            line_end = head.find(b"\r\n", marker)
            length = int(head[marker + 16 : line_end if line_end >= 0 else len(head)]) if marker >= 0 else 0
            if len(buffer) < end + 4 + length:
                break
            path = head[5 : head.find(b" ", 5)].decode()
            if path in self.state["checked"]:
                self.state["bodies"][path] = bytes(buffer[end + 4 : end + 4 + length])
            del buffer[: end + 4 + length]
            answers += 1
        if answers and self.transport is not None:
            self.transport.write(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n" * answers)
            self.state["count"] += answers
            if self.state["count"] >= self.state["expected"]:
                self.state["done"].set()


def _serve_push(port_out: Any, expected: int, checked: list[str], result_out: Any) -> None:
    async def main() -> None:
        state: dict[str, Any] = {
            "count": 0,
            "expected": expected,
            "checked": set(checked),
            "bodies": {},
            "done": asyncio.Event(),
        }
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _PushProtocol(state), "127.0.0.1", 0)
        port_out.send(server.sockets[0].getsockname()[1])
        await state["done"].wait()
        result_out.send((time.time(), state["count"], state["bodies"]))
        server.close()

    asyncio.run(main())


# --- fan-out: the senders ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Batch:
    port: int
    first: int
    subscriptions: list[tuple[bytes, bytes]]  # (p256dh raw, auth)
    vapid_dir: str
    payload: bytes


def _make_subscriptions(count: int) -> list[tuple[bytes, bytes]]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    made = []
    for _ in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        made.append((raw, os.urandom(16)))
    return made


def _send(batch: _Batch) -> tuple[int, float]:
    """Encrypt and POST every message of a batch; return (messages, CPU seconds spent encrypting)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from alerts.channels.webpush import ReceiverKeys, VapidKeys, encrypt

    keys = VapidKeys.load_or_create(Path(batch.vapid_dir))
    endpoint = f"http://127.0.0.1:{batch.port}"
    authorization = keys.authorization(endpoint + "/", subject="mailto:bench@example.invalid")
    host = f"127.0.0.1:{batch.port}"
    sock = socket.create_connection(("127.0.0.1", batch.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    window = 128
    pending = 0
    received = b""
    encrypt_cpu = 0.0
    chunk: list[bytes] = []

    def drain(target: int) -> None:
        nonlocal pending, received
        while pending > target:
            received += sock.recv(65536)
            answers = received.count(b"\r\n\r\n")
            if answers:
                received = received[received.rfind(b"\r\n\r\n") + 4 :]
                pending -= answers

    for offset, (p256dh, auth) in enumerate(batch.subscriptions):
        started = time.process_time()
        receiver = ReceiverKeys(
            public_key=ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh),
            public_raw=p256dh,
            auth=auth,
        )
        body = encrypt(receiver, batch.payload)
        encrypt_cpu += time.process_time() - started
        chunk.append(
            (
                f"POST /push/{batch.first + offset} HTTP/1.1\r\nHost: {host}\r\nTTL: 3600\r\nUrgency: high\r\n"
                f"Content-Encoding: aes128gcm\r\nContent-Type: application/octet-stream\r\n"
                f"Authorization: {authorization}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        if len(chunk) == 32:
            sock.sendall(b"".join(chunk))
            pending += len(chunk)
            chunk = []
            drain(window)
    if chunk:
        sock.sendall(b"".join(chunk))
        pending += len(chunk)
    drain(0)
    sock.close()
    return len(batch.subscriptions), encrypt_cpu


def _payload() -> bytes:
    """A real flood message for a resident in English, with answer links, as the desk sends it."""
    from datetime import UTC, datetime

    from alerts.disaster import (
        AlertContent,
        AnswerLinks,
        AreaSpec,
        CapCertainty,
        CapSeverity,
        CapUrgency,
        Language,
        ShelterFinder,
        compose,
    )
    from maps import Hazard

    content = AlertContent(
        identifier="bench",
        sender="bench",
        sent=datetime.now(UTC),
        hazard=Hazard.FLOOD,
        severity=CapSeverity.SEVERE,
        urgency=CapUrgency.IMMEDIATE,
        certainty=CapCertainty.LIKELY,
        area=AreaSpec(municipalities=(TAITO,)),
    )
    links = AnswerLinks(safe="https://mimamori.example/api/v1/disaster/public/safety/" + "x" * 60, need_help="h" * 100)
    message = compose(content, Language.EN, shelter=ShelterFinder(Hazard.FLOOD).nearest(35.7148, 139.7967), links=links)
    return json.dumps({"title": message.title, "body": message.body, "alert_id": 1}, ensure_ascii=False).encode()


class _PeakRss:
    """Sample the resident memory of this process and its children; keep the peak sum."""

    def __init__(self) -> None:
        self.peak = 0
        self.cpu: dict[int, float] = {}  # pid → CPU seconds last seen, this process tree's own work
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
                    times = process.cpu_times()
                    self.cpu[process.pid] = times.user + times.system
            self.peak = max(self.peak, total)
            self._stop.wait(0.05)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bench_fanout(messages: int, workers: int) -> dict[str, Any]:
    import http_ece
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    context = mp.get_context("fork")
    # setup, not timed: the subscriptions (their private keys are the browsers' and are thrown away)
    with context.Pool(workers) as pool:
        parts = pool.map(
            _make_subscriptions, [messages // workers + (1 if i < messages % workers else 0) for i in range(workers)]
        )
    subscriptions = [item for part in parts for item in part]
    checked_keys = {}
    for index in np.linspace(0, messages - 1, CHECKED).astype(int).tolist():
        key = ec.generate_private_key(ec.SECP256R1())
        raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        subscriptions[index] = (raw, os.urandom(16))
        checked_keys[f"/push/{index}"] = (key, subscriptions[index][1])
    payload = _payload()

    port_parent, port_child = context.Pipe()
    result_parent, result_child = context.Pipe()
    server = context.Process(
        target=_serve_push, args=(port_child, messages, list(checked_keys), result_child), daemon=True
    )
    server.start()
    port = port_parent.recv()
    with tempfile.TemporaryDirectory() as vapid_dir:
        from alerts.channels.webpush import VapidKeys

        VapidKeys.load_or_create(Path(vapid_dir))
        size = -(-messages // workers)
        batches = [
            _Batch(
                port=port,
                first=start,
                subscriptions=subscriptions[start : start + size],
                vapid_dir=vapid_dir,
                payload=payload,
            )
            for start in range(0, messages, size)
        ]
        with _PeakRss() as rss, context.Pool(workers) as pool:
            time.sleep(0.2)  # let the sampler see the pool's processes before the clock starts
            cpu_at_start = dict(rss.cpu)
            started = time.time()
            cpu_before = psutil.cpu_times()
            results = pool.map(_send, batches, chunksize=1)
            finished, count, bodies = result_parent.recv()
            cpu_after = psutil.cpu_times()
    server.join(timeout=10)
    fanout_s = finished - started
    encrypt_cpu = sum(cpu for _, cpu in results)
    decrypted = 0
    for path, (key, auth) in checked_keys.items():
        if json.loads(
            http_ece.decrypt(bodies[path], private_key=key, auth_secret=auth, version="aes128gcm")
        ) == json.loads(payload):
            decrypted += 1
    own_cpu = sum(rss.cpu.values()) - sum(cpu_at_start.values())
    busy = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("user", "system", "nice"))
    return {
        "fanout_s": round(fanout_s, 2),
        "fanout_per_msg_ms": round(fanout_s * 1000 / messages, 4),
        "fanout_peak_rss_mb": round(rss.peak / 2**20, 1),
        "fanout_messages": messages,
        "fanout_delivered": count,
        "fanout_workers": workers,
        "fanout_encrypt_cpu_per_msg_ms": round(encrypt_cpu * 1000 / messages, 4),
        "fanout_own_cpu_s": round(own_cpu, 1),
        "fanout_own_cpu_per_msg_ms": round(own_cpu * 1000 / messages, 4),
        # what the wall time would be with the cores to ourselves: our CPU seconds spread over them
        "fanout_s_alone_estimate": round(own_cpu / workers, 1),
        "fanout_machine_busy_cpu_s": round(busy, 1),
        "fanout_payload_bytes": len(payload),
        "fanout_checked_decryptions": f"{decrypted}/{len(checked_keys)}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=1_000_000)
    parser.add_argument("--baseline-sample", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--preview-devices", type=int, default=200_000, help="devices under the preview; 0 skips it")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    print(f"targeting {args.locations:,} locations …", flush=True)
    result.update(bench_targeting(args.locations, args.baseline_sample))
    if args.preview_devices:
        print(f"preview over {args.preview_devices:,} devices, cold and cached …", flush=True)
        result.update(bench_preview(args.preview_devices))
    print(f"fan-out of {args.messages:,} Web Push messages on {args.workers} worker(s) …", flush=True)
    result.update(bench_fanout(args.messages, args.workers))
    result["targets"] = {
        "targeting_ms<=50": result["targeting_ms"] <= 50,
        "fanout_s<=30": result["fanout_s"] <= 30,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    for key in (
        "targeting_ms",
        "targeting_baseline_ms",
        "targeting_ratio",
        "preview_cold_ms",
        "preview_ms",
        "fanout_s",
        "fanout_per_msg_ms",
        "fanout_peak_rss_mb",
    ):
        print(f"{key}: {result[key]}")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
