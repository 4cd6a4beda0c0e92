"""One load phase: a fresh broker, one consumer process, publisher processes at full speed.

The conductor samples the consumer's message count every `SAMPLE_S` and the rate is taken
over the steady window: after a warm-up, while the publishers are still sending.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, Protocol

import psutil

from bench.broker import BenchBroker
from bench.publishers import PublisherCounters, PublisherSpec, run_publisher
from bench.shared import CONTEXT, shared_float, shared_int

log = logging.getLogger(__name__)

SAMPLE_S = 0.2


class Consumer(Protocol):
    """A process that takes the broker's messages and says how many it has finished."""

    name: str

    def start(self, broker: BenchBroker) -> None: ...

    def processed(self) -> int: ...

    def details(self) -> dict[str, int]: ...

    @property
    def pid(self) -> int: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """The shape of the publisher load, the same for the baseline and the ingest."""

    run_tag: str
    gateway_ids: tuple[str, ...]
    messages: int
    publishers: int = 2
    connections: int = 4
    window: int = 2000
    duration_s: float = 30.0
    warmup_s: float = 2.0
    duplicate_every: int = 100
    rate_per_s: float | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    t: float
    processed: int
    sent: int
    acked: int
    rss_bytes: int
    cpu: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class PhaseResult:
    """What one phase measured."""

    consumer: str
    msgs_per_s: float
    window_s: float
    published: int
    processed: int
    publish_s: float
    publish_msgs_per_s: float
    drain_msgs_per_s: float | None
    peak_rss_mb: float
    cores_used: dict[str, float] = field(default_factory=dict)
    drain_cores_used: dict[str, float] = field(default_factory=dict)
    consumer_counters: dict[str, int] = field(default_factory=dict)
    cpu_us_per_msg: float | None = None
    drain_cpu_us_per_msg: float | None = None
    samples: list[Sample] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the result with a once-a-second timeline instead of the raw samples, for the JSON report."""
        data = asdict(self)
        data.pop("samples")
        data["timeline"] = self.timeline()
        return data

    def timeline(self) -> list[list[float]]:
        """Return [seconds since start, processed, published] about once a second."""
        if not self.samples:
            return []
        start = self.samples[0].t
        rows: list[list[float]] = []
        for sample in self.samples:
            if not rows or sample.t - start >= rows[-1][0] + 1.0 or sample is self.samples[-1]:
                rows.append([round(sample.t - start, 1), sample.processed, sample.acked])
        return rows


def _publisher_specs(config: LoadConfig, broker: BenchBroker) -> list[PublisherSpec]:
    specs = []
    for index in range(config.publishers):
        share, extra = divmod(config.messages, config.publishers)
        specs.append(
            PublisherSpec(
                index=index,
                host=broker.host,
                port=broker.port,
                run_tag=config.run_tag,
                gateway_ids=config.gateway_ids[index :: config.publishers],
                messages=share + (1 if index < extra else 0),
                connections=config.connections,
                window=config.window,
                rate_per_s=config.rate_per_s / config.publishers if config.rate_per_s else None,
                duplicate_every=config.duplicate_every,
                duration_s=config.duration_s,
            )
        )
    return specs


@dataclass(slots=True)
class PublisherFleet:
    """The running publisher processes of one phase."""

    processes: list[BaseProcess]
    counters: list[PublisherCounters]
    go: EventType

    @classmethod
    def prepare(cls, config: LoadConfig, broker: BenchBroker, *, timeout_s: float = 120.0) -> PublisherFleet:
        """Start the publishers and wait until each has connected and encoded its messages."""
        go = CONTEXT.Event()
        processes: list[BaseProcess] = []
        counters: list[PublisherCounters] = []
        for spec in _publisher_specs(config, broker):
            counter = PublisherCounters(
                ready=CONTEXT.Event(), sent=shared_int(), acked=shared_int(), finished_at=shared_float()
            )
            process = CONTEXT.Process(target=run_publisher, args=(spec, counter, go), name=f"publisher-{spec.index}")
            process.start()
            processes.append(process)
            counters.append(counter)
        deadline = time.monotonic() + timeout_s
        for started, counter in zip(processes, counters, strict=True):
            while not counter.ready.wait(0.2):
                if not started.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{started.name} did not get ready (exit code {started.exitcode})")
        return cls(processes=processes, counters=counters, go=go)

    def sent(self) -> int:
        return sum(c.sent.value for c in self.counters)

    def acked(self) -> int:
        return sum(c.acked.value for c in self.counters)

    def sending_finished_at(self) -> float | None:
        """Return when the last publisher finished sending (monotonic), or None while one still sends."""
        times = [c.finished_at.value for c in self.counters]
        return max(times) if all(times) else None

    def stop(self) -> None:
        for process in self.processes:
            process.join(timeout=15)
            if process.is_alive():
                log.warning("%s still running: terminating it", process.name)
                process.terminate()
                process.join()


def _count_at(samples: list[Sample], t: float) -> float:
    """Interpolate the processed count at time t."""
    for before, after in itertools.pairwise(samples):
        if before.t <= t <= after.t:
            span = after.t - before.t
            return before.processed + (after.processed - before.processed) * ((t - before.t) / span if span else 0)
    return float(samples[-1].processed if t >= samples[-1].t else samples[0].processed)


@dataclass(frozen=True, slots=True)
class Window:
    """A span of a phase and the consumer's rate over it."""

    msgs_per_s: float
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def steady_rate(samples: list[Sample], *, start: float, end: float, fallback: bool = True) -> Window | None:
    """Return the rate of the processed count between start and end (monotonic seconds).

    A window shorter than a second says little: with `fallback` the whole busy span is used
    instead, without it there is no window.
    """
    if end - start < 1.0:
        busy = [s for s in samples if s.processed > 0]
        if not fallback or len(busy) < 2:
            return None
        start, end = busy[0].t, busy[-1].t
    rate = (_count_at(samples, end) - _count_at(samples, start)) / (end - start)
    return Window(msgs_per_s=rate, start=start, end=end)


def _cpu_seconds(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


class _Watch:
    """CPU and memory of the processes of a phase, sampled by the conductor."""

    def __init__(self, *, consumer: int, broker: int, publishers: list[int]) -> None:
        self.consumer = psutil.Process(consumer)
        self.broker = psutil.Process(broker)
        self.publishers = [psutil.Process(pid) for pid in publishers]
        self.conductor = psutil.Process()

    def cpu(self) -> dict[str, float]:
        # "machine" is every process's CPU: other work on the machine shows as machine minus ours
        total = psutil.cpu_times()
        return {
            "consumer": _cpu_seconds(self.consumer),
            "broker": _cpu_seconds(self.broker),
            "publishers": sum(_cpu_seconds(p) for p in self.publishers),
            "conductor": _cpu_seconds(self.conductor),
            "machine": float(total.user + total.system + getattr(total, "nice", 0.0) + getattr(total, "softirq", 0.0)),
        }

    def consumer_alive(self) -> bool:
        try:
            return self.consumer.is_running() and self.consumer.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def rss(self) -> int:
        try:
            return int(self.consumer.memory_info().rss)
        except psutil.Error:
            return 0


def _cores_used(samples: list[Sample], start: float, end: float) -> dict[str, float]:
    inside = [s for s in samples if start <= s.t <= end]
    if len(inside) < 2:
        return {}
    first, last = inside[0], inside[-1]
    span = last.t - first.t
    if span <= 0:
        return {}
    used = {role: round((last.cpu[role] - first.cpu[role]) / span, 2) for role in last.cpu}
    ours = used["consumer"] + used["broker"] + used["publishers"] + used["conductor"]
    used["others"] = round(max(0.0, used["machine"] - ours), 2)
    return used


def _cpu_cost(window: Window | None, cores: dict[str, float]) -> float | None:
    """Return the consumer's CPU microseconds per message: unlike the rate, it holds on a busy machine."""
    if window is None or window.msgs_per_s <= 0 or "consumer" not in cores:
        return None
    return round(cores["consumer"] / window.msgs_per_s * 1e6, 1)


PhaseHook = Callable[[BenchBroker, float], None]


def run_phase(
    consumer: Consumer,
    config: LoadConfig,
    workdir: Path,
    *,
    during: PhaseHook | None = None,
    grace_s: float = 0.0,
) -> PhaseResult:
    """Run one load phase against `consumer` on a fresh broker and measure its steady rate.

    `during(broker, go)` runs in a thread while the load runs; the phase lasts until the
    consumer has taken every published message and `during` has returned, or until the
    publishers' duration plus `grace_s` has passed.
    """
    broker = BenchBroker(workdir / f"mosquitto-{consumer.name}")
    broker.start()
    fleet: PublisherFleet | None = None
    try:
        consumer.start(broker)
        fleet = PublisherFleet.prepare(config, broker)
        assert broker.process is not None
        watch = _Watch(
            consumer=consumer.pid,
            broker=broker.process.pid,
            publishers=[p.pid for p in fleet.processes if p.pid is not None],
        )
        log.info("%s: publishing %d messages", consumer.name, config.messages)
        samples: list[Sample] = []
        base = consumer.processed()
        hook: threading.Thread | None = None
        go = time.monotonic()
        fleet.go.set()
        if during is not None:
            hook = threading.Thread(target=during, args=(broker, go), name="phase-hook", daemon=True)
            hook.start()
        deadline = go + config.duration_s + grace_s
        samples.append(Sample(t=go, processed=0, sent=0, acked=0, rss_bytes=watch.rss(), cpu=watch.cpu()))
        while True:
            time.sleep(SAMPLE_S)
            now = time.monotonic()
            samples.append(
                Sample(
                    t=now,
                    processed=consumer.processed() - base,
                    sent=fleet.sent(),
                    acked=fleet.acked(),
                    rss_bytes=watch.rss(),
                    cpu=watch.cpu(),
                )
            )
            finished = fleet.sending_finished_at()
            caught_up = finished is not None and samples[-1].processed >= samples[-1].acked
            if caught_up and (hook is None or not hook.is_alive()):
                break
            if not watch.consumer_alive():
                raise RuntimeError(f"the {consumer.name} process exited during the phase")
            if now > deadline:
                log.warning(
                    "%s: stopped at the time limit with %d of %d processed",
                    consumer.name,
                    samples[-1].processed,
                    samples[-1].acked,
                )
                break
        finished = fleet.sending_finished_at() or samples[-1].t
        # the sustained rate is what the consumer does while the publishers still load the machine
        end = min(finished, samples[-1].t)
        start = go + config.warmup_s
        steady = steady_rate(samples, start=start, end=end) or Window(0.0, start, start)
        drain = steady_rate(samples, start=finished + 0.5, end=samples[-1].t, fallback=False)
        publish_s = max(finished - go, 1e-9)
        cores = _cores_used(samples, steady.start, steady.end)
        drain_cores = _cores_used(samples, drain.start, drain.end) if drain else {}
        result = PhaseResult(
            consumer=consumer.name,
            msgs_per_s=round(steady.msgs_per_s, 1),
            window_s=round(steady.seconds, 2),
            published=samples[-1].acked,
            processed=samples[-1].processed,
            publish_s=round(publish_s, 2),
            publish_msgs_per_s=round(samples[-1].sent / publish_s, 1),
            drain_msgs_per_s=round(drain.msgs_per_s, 1) if drain else None,
            peak_rss_mb=round(max(s.rss_bytes for s in samples) / 2**20, 1),
            cores_used=cores,
            drain_cores_used=drain_cores,
            consumer_counters=consumer.details(),
            cpu_us_per_msg=_cpu_cost(steady, cores),
            drain_cpu_us_per_msg=_cpu_cost(drain, drain_cores),
            samples=samples,
        )
        log.info(
            "%s: %.0f msg/s over %.1f s (%d published at %.0f msg/s, %d processed); cores %s",
            consumer.name,
            result.msgs_per_s,
            result.window_s,
            result.published,
            result.publish_msgs_per_s,
            result.processed,
            result.cores_used,
        )
        return result
    finally:
        if fleet is not None:
            fleet.stop()
        consumer.stop()
        broker.stop()
