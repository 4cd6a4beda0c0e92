"""One load phase: a fresh broker, one consumer process, publisher processes at full speed.

The conductor samples the consumer's message count every `SAMPLE_S` and the rate is taken
over the steady window: after a warm-up, while the publishers are still sending.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import asdict, dataclass, field
from multiprocessing.process import BaseProcess
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
    peak_rss_mb: float
    samples: list[Sample] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the result without the raw samples, for the JSON report."""
        data = asdict(self)
        data.pop("samples")
        return data


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
    go: Any

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


def steady_rate(samples: list[Sample], *, start: float, end: float) -> tuple[float, float]:
    """Return (messages per second, window seconds) of the processed count between start and end."""
    if end - start < 1.0:
        busy = [s for s in samples if s.processed > 0]
        if len(busy) < 2:
            return 0.0, 0.0
        start, end = busy[0].t, busy[-1].t
    window = end - start
    return (_count_at(samples, end) - _count_at(samples, start)) / window if window > 0 else 0.0, window


def run_phase(consumer: Consumer, config: LoadConfig, workdir: Path) -> PhaseResult:
    """Run one load phase against `consumer` on a fresh broker and measure its steady rate."""
    broker = BenchBroker(workdir / f"mosquitto-{consumer.name}")
    broker.start()
    fleet: PublisherFleet | None = None
    try:
        consumer.start(broker)
        fleet = PublisherFleet.prepare(config, broker)
        watched = psutil.Process(consumer.pid)
        log.info("%s: publishing %d messages", consumer.name, config.messages)
        samples: list[Sample] = []
        go = time.monotonic()
        fleet.go.set()
        deadline = go + config.duration_s
        while True:
            time.sleep(SAMPLE_S)
            now = time.monotonic()
            samples.append(
                Sample(
                    t=now,
                    processed=consumer.processed(),
                    sent=fleet.sent(),
                    acked=fleet.acked(),
                    rss_bytes=watched.memory_info().rss,
                )
            )
            finished = fleet.sending_finished_at()
            if finished is not None and samples[-1].processed >= samples[-1].acked:
                break
            if now > deadline:
                break
        finished = fleet.sending_finished_at() or samples[-1].t
        # the sustained rate is what the consumer does while the publishers still load the machine
        end = min(finished, samples[-1].t)
        rate, window = steady_rate(samples, start=go + config.warmup_s, end=end)
        published = samples[-1].acked
        publish_s = max(finished - go, 1e-9)
        result = PhaseResult(
            consumer=consumer.name,
            msgs_per_s=round(rate, 1),
            window_s=round(window, 2),
            published=published,
            processed=samples[-1].processed,
            publish_s=round(publish_s, 2),
            publish_msgs_per_s=round(samples[-1].sent / publish_s, 1),
            peak_rss_mb=round(max(s.rss_bytes for s in samples) / 2**20, 1),
            samples=samples,
        )
        log.info(
            "%s: %.0f msg/s over %.1f s (%d published at %.0f msg/s, %d processed)",
            consumer.name,
            result.msgs_per_s,
            result.window_s,
            result.published,
            result.publish_msgs_per_s,
            result.processed,
        )
        return result
    finally:
        if fleet is not None:
            fleet.stop()
        consumer.stop()
        broker.stop()
