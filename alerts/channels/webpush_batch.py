"""Web Push in bulk: encrypt many messages and POST them over kept-alive HTTP/1.1 connections.

One call of `push_all` works a list of messages with a few concurrent connections per push
service (asyncio), writing a small group of requests at once on each and reading the answers
in order (HTTP/1.1 pipelining). A group the service drops midway is sent again on a new
connection from the first unanswered request; what never got an answer is reported as an
error, and the desk retries it later — a push service may then see a message twice, which the
notification's tag makes harmless (the browser replaces, not adds).
Encryption costs about 0.15 ms of CPU per message and holds the GIL, so a big batch is cut
into chunks that run in worker processes (`WebPushFanOut`), one per core; a small one runs in
the caller's thread, where spawning processes would cost more than it saves.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import NamedTuple
from urllib.parse import urlsplit

from alerts.channels.webpush import (
    PayloadTooLarge,
    PushResult,
    ReceiverKeys,
    SubscriptionError,
    answered,
    encrypt,
)

# below this many messages a batch is sent in the caller's thread
IN_PROCESS_LIMIT = 64
CONNECTIONS_PER_SERVICE = 8
# requests written at once on one connection, their answers read in order (HTTP/1.1 pipelining):
# one system call for many messages, which is most of the cost of a message after its encryption
PIPELINE = 32
MAX_HEAD_BYTES = 64 * 1024
# connections kept open between batches at most this long: below push services' keep-alive timeouts
KEEP_IDLE_S = 50.0


class PushJob(NamedTuple):
    """One message for one subscription (a tuple: it crosses to the worker processes cheaply).

    With `fill_in` set, `payload` is a template the settings' `filler` completes in the worker
    (a message shared by many, with each recipient's own links put in where it is encrypted).
    """

    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    fill_in: tuple[int, ...] | None = None


class PushOutcome(NamedTuple):
    """What became of one message: the push service's status, or the error that kept it from answering."""

    status: int | None
    error: str | None
    unusable: bool = False  # the subscription's keys are broken: as good as gone

    def result(self) -> PushResult:
        """Return the outcome as the channel's PushResult."""
        if self.status is not None and self.status < 300 and not self.unusable:
            # nearly every outcome of a fan-out: one shared (frozen) result per status
            sent = _SENT.get(self.status)
            if sent is None:
                sent = _SENT[self.status] = answered(self.status)
            return sent
        if self.unusable:
            return PushResult(ok=False, gone=True, error=self.error)
        if self.status is None:
            return PushResult(ok=False, error=self.error)
        return answered(self.status)


_SENT: dict[int, PushResult] = {}


class PushSettings(NamedTuple):
    """The request headers every message shares, per push service (VAPID is signed per audience)."""

    authorizations: Mapping[str, str]  # "scheme://host[:port]" → Authorization header value
    ttl_s: int
    urgency: str = "high"
    timeout_s: float = 10.0
    connections: int = CONNECTIONS_PER_SERVICE
    # completes a job's payload template from its `fill_in` (picklable: it crosses to the workers)
    filler: Callable[[bytes, tuple[int, ...]], bytes] | None = None


# an ordinary endpoint's origin, read without urlsplit (a fan-out asks 200,000 times)
_PLAIN_ORIGIN = re.compile(r"(https?://[^/?#\s\\]*)(?:[/?#]|\Z)")


def origin_of(endpoint: str) -> str:
    """Return the VAPID audience of an endpoint: scheme://host[:port]."""
    plain = _PLAIN_ORIGIN.match(endpoint)
    if plain is not None:
        return plain[1]
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class _Kept(threading.local):
    """Per thread: one event loop for every batch, and the connections left open between batches."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.idle: dict[str, list[tuple[float, _Connection]]] = {}


_kept = _Kept()


def push_all(jobs: Sequence[PushJob], settings: PushSettings) -> list[PushOutcome]:
    """Encrypt and POST every job; return their outcomes in the same order. Never raises for one message.

    The thread keeps its connections open between calls (a fan-out is a hundred batches: a TLS
    handshake per connection per batch would cost more than the messages), closing those idle
    longer than `KEEP_IDLE_S`.
    """
    if _kept.loop is None:
        _kept.loop = asyncio.new_event_loop()
    return _kept.loop.run_until_complete(_push_all(jobs, settings))


async def _push_all(jobs: Sequence[PushJob], settings: PushSettings) -> list[PushOutcome]:
    outcomes: list[PushOutcome | None] = [None] * len(jobs)
    by_origin: dict[str, deque[int]] = {}
    for index, job in enumerate(jobs):
        by_origin.setdefault(origin_of(job.endpoint), deque()).append(index)
    _close_stale(time.monotonic())
    tasks = []
    for origin, waiting in by_origin.items():
        authorization = settings.authorizations.get(origin)
        if authorization is None:
            for index in waiting:
                outcomes[index] = PushOutcome(None, f"no VAPID signature for {origin}")
            continue
        for connection in _connections(origin, authorization, settings, min(settings.connections, len(waiting))):
            tasks.append(_work(connection, waiting, jobs, outcomes))
    await asyncio.gather(*tasks)
    return [outcome or PushOutcome(None, "not attempted") for outcome in outcomes]


def _connections(origin: str, authorization: str, settings: PushSettings, count: int) -> list[_Connection]:
    """Return `count` connections to a push service: the thread's idle ones first, then new ones."""
    idle = _kept.idle.get(origin, [])
    taken = [connection for _, connection in idle[-count:]]
    del idle[len(idle) - len(taken) :]
    for connection in taken:
        connection.retarget(authorization, settings)
    return taken + [_Connection(origin, authorization, settings) for _ in range(count - len(taken))]


def _close_stale(now: float) -> None:
    for origin, idle in _kept.idle.items():
        stale = [connection for since, connection in idle if now - since > KEEP_IDLE_S]
        for connection in stale:
            connection.close()
        _kept.idle[origin] = [(since, connection) for since, connection in idle if now - since <= KEEP_IDLE_S]


async def _work(
    connection: _Connection, waiting: deque[int], jobs: Sequence[PushJob], outcomes: list[PushOutcome | None]
) -> None:
    try:
        while waiting:
            group = [waiting.popleft() for _ in range(min(PIPELINE, len(waiting)))]
            answers = await connection.push_group([jobs[index] for index in group])
            for index, outcome in zip(group, answers, strict=True):
                outcomes[index] = outcome
    except BaseException:
        connection.close()
        raise
    if connection.is_open:
        _kept.idle.setdefault(connection.origin, []).append((time.monotonic(), connection))


class _Connection:
    """One kept-alive HTTP/1.1 connection to a push service, reopened when the service closes it."""

    def __init__(self, origin: str, authorization: str, settings: PushSettings) -> None:
        parts = urlsplit(origin)
        self._origin = origin
        self._netloc = parts.netloc
        self._secure = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._secure else 80)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.retarget(authorization, settings)

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def is_open(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    def retarget(self, authorization: str, settings: PushSettings) -> None:
        """Send the next requests with these headers (a kept connection serves later batches)."""
        self._settings = settings
        self._fixed = (
            f"Host: {self._netloc}\r\nTTL: {settings.ttl_s}\r\nUrgency: {settings.urgency}\r\n"
            "Content-Encoding: aes128gcm\r\nContent-Type: application/octet-stream\r\n"
            f"Authorization: {authorization}\r\n"
        )

    async def push_group(self, jobs: Sequence[PushJob]) -> list[PushOutcome]:
        """Encrypt a few messages and send them pipelined (one write, answers read in order)."""
        outcomes: list[PushOutcome | None] = [None] * len(jobs)
        pending: list[tuple[int, bytes]] = []
        for position, job in enumerate(jobs):
            try:
                payload = self._payload(job)
            except Exception as exc:  # a template that cannot be completed fails alone, to be retried
                outcomes[position] = PushOutcome(None, f"message not completed: {type(exc).__name__}: {exc}")
                continue
            try:
                body = encrypt(ReceiverKeys.decode(job.p256dh, job.auth), payload)
            except PayloadTooLarge as exc:  # the message's fault: keep the subscription
                outcomes[position] = PushOutcome(None, str(exc))
                continue
            except (SubscriptionError, ValueError) as exc:
                outcomes[position] = PushOutcome(None, f"unusable subscription: {exc}", unusable=True)
                continue
            pending.append((position, self._request(job.endpoint, body)))
        reopened = False
        while pending:
            reused = self._writer is not None
            try:
                async with asyncio.timeout(self._settings.timeout_s):
                    await self._exchange(pending, outcomes)
                error = None
            except TimeoutError:
                error = f"no answer from {self._origin} in {self._settings.timeout_s:g} s"
            except (
                ConnectionError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                OSError,
                ValueError,
            ) as exc:
                error = f"{type(exc).__name__}: {exc}"
                # a kept-alive connection the service closed while idle fails before any answer: reopen it, once
                idle_close = isinstance(exc, ConnectionError | asyncio.IncompleteReadError)
                if reused and idle_close and not reopened and all(outcomes[p] is None for p, _ in pending):
                    self.close()
                    reopened = True
                    continue
            unanswered = [(position, request) for position, request in pending if outcomes[position] is None]
            if error is not None:
                self.close()
                for position, _ in unanswered:
                    outcomes[position] = PushOutcome(None, error)
                break
            pending = unanswered  # the service closed after an answer: the rest go again on a new connection
        return [outcome or PushOutcome(None, "not sent") for outcome in outcomes]

    def _payload(self, job: PushJob) -> bytes:
        filler = self._settings.filler
        if job.fill_in is None or filler is None:
            return job.payload
        return filler(job.payload, job.fill_in)

    def _request(self, endpoint: str, body: bytes) -> bytes:
        # the endpoint starts with this connection's origin (jobs are grouped by it): the rest is the target
        target = endpoint[len(self._origin) :].split("#", 1)[0] or "/"
        return f"POST {target} HTTP/1.1\r\n{self._fixed}Content-Length: {len(body)}\r\n\r\n".encode() + body

    async def _exchange(self, pending: list[tuple[int, bytes]], outcomes: list[PushOutcome | None]) -> None:
        if self._writer is None:
            context = ssl.create_default_context() if self._secure else None
            self._reader, self._writer = await asyncio.open_connection(
                self._host, self._port, ssl=context, limit=MAX_HEAD_BYTES
            )
        assert self._reader is not None
        self._writer.write(b"".join(request for _, request in pending))
        for position, _ in pending:
            status, close = await _read_response(self._reader)
            outcomes[position] = PushOutcome(status, None)
            if close:
                self.close()
                return

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the service will close the connection."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP/1.x response: {head[:40]!r}")
        status = int(head[9:12])
        # the few headers that matter, looked up in the whole head at once (a fan-out reads 200,000 heads)
        headers = head.lower()
        length = _header(headers, b"content-length")
        encoding = _header(headers, b"transfer-encoding")
        connection = _header(headers, b"connection")
        close = head.startswith(b"HTTP/1.0") and (connection is None or b"keep-alive" not in connection)
        close = close or (connection is not None and b"close" in connection)
        if 100 <= status < 200:
            continue  # 100 Continue and friends come before the real answer
        if encoding is not None and b"chunked" in encoding:
            await _skip_chunks(reader)
        elif length is not None:
            await reader.readexactly(int(length))
        elif status not in (204, 304):
            await reader.read()  # the body runs until the service closes
            close = True
        return status, close


def _header(head: bytes, name: bytes) -> bytes | None:
    """Return the value of header `name` in a lower-cased response head, or None."""
    start = head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    start += len(name) + 3
    return head[start : head.find(b"\r\n", start)].strip()


async def _skip_chunks(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return
        await reader.readexactly(size + 2)


class WebPushFanOut:
    """Send batches of Web Push messages, encrypting in worker processes (one per core by default)."""

    def __init__(self, *, processes: int | None = None) -> None:
        self._processes = max(1, processes or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first big batch."""
        pool = self._ensure_pool()
        for future in [pool.submit(os.getpid) for _ in range(self._processes)]:
            future.result()

    def submit(self, jobs: Sequence[PushJob], settings: PushSettings) -> Future[list[PushOutcome]]:
        """Start sending `jobs`; the future holds their outcomes, in order."""
        if len(jobs) < IN_PROCESS_LIMIT:
            done: Future[list[PushOutcome]] = Future()
            done.set_result(push_all(jobs, settings))
            return done
        pool = self._ensure_pool()
        size = -(-len(jobs) // self._processes)
        # each chunk crosses as five columns, not as a tuple per job: a sixth of the pickling
        chunks = [tuple(zip(*jobs[start : start + size], strict=True)) for start in range(0, len(jobs), size)]
        return _joined([(pool.submit(_push_all_shared, chunk, settings), len(chunk[0])) for chunk in chunks])

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawned, not forked: the service has threads (and their locks) a fork would copy mid-use
            self._pool = ProcessPoolExecutor(
                self._processes, mp_context=multiprocessing.get_context("spawn"), initializer=as_batch_work
            )
        return self._pool

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def as_batch_work() -> None:
    """Run the calling thread under Linux's SCHED_BATCH policy (same priority, fewer preemptions).

    For long CPU-bound work such as encrypting or queueing a fan-out: the batch policy lets it
    run in longer slices (its caches stay warm) and never lets its wake-ups preempt the
    service's other threads, so the API and the ingest keep their latency while it runs. Where
    the policy does not exist or is refused, nothing changes.
    """
    if hasattr(os, "SCHED_BATCH"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def _push_all_shared(columns: tuple[tuple[object, ...], ...], settings: PushSettings) -> list[PushOutcome]:
    """`push_all` in a worker process on jobs sent as columns; equal outcomes made one object.

    The answer then pickles one "201" for all.
    """
    jobs = [PushJob._make(fields) for fields in zip(*columns, strict=True)]
    shared: dict[PushOutcome, PushOutcome] = {}
    return [shared.setdefault(outcome, outcome) for outcome in push_all(jobs, settings)]


def _joined(parts: list[tuple[Future[list[PushOutcome]], int]]) -> Future[list[PushOutcome]]:
    """Return one future of the outcomes of every chunk, in order, once all chunks are done."""
    joined: Future[list[PushOutcome]] = Future()
    remaining = [len(parts)]

    def finished(_: Future[list[PushOutcome]]) -> None:
        remaining[0] -= 1
        if remaining[0]:
            return
        outcomes: list[PushOutcome] = []
        for part, size in parts:
            try:
                outcomes.extend(part.result())
            except Exception as exc:  # a worker process died: its chunk failed, to be retried
                outcomes.extend([PushOutcome(None, f"sender process failed: {type(exc).__name__}: {exc}")] * size)
        joined.set_result(outcomes)

    for part, _ in parts:
        part.add_done_callback(finished)
    return joined
