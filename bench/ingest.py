"""Ingest benchmark: `python -m bench.ingest` (also `make bench-ingest`), writes bench/results/ingest.json.

Phases, each on a fresh Mosquitto (127.0.0.1 only) and each with its consumer in its own process:

1. baseline   a bare paho-mqtt subscriber that only counts, under the full-speed publisher load;
2. ingest     the real cloud (CloudService, API off) under the same load: messages validated,
              de-duplicated, stored, rule-evaluated and acknowledged, per second;
3. profile    the same load again, shorter, with py-spy sampling the ingest process;
4. latency    background readings paced at 5,000 msg/s while emergency buttons are pressed,
              timed from publish to the notification reaching the receiver (apprise json://);
5. idle_latency  the same presses over 100 msg/s of background: the alert path without queueing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.baseline import CountingSubscriber
from bench.broker import BenchBroker, mosquitto_version
from bench.cloud_ingest import CloudIngest, bench_settings
from bench.households import BenchHouseholds, provision
from bench.latency import ButtonPresses, LatencyConfig
from bench.load import LoadConfig, PhaseResult, run_phase
from bench.profiling import ProfileSummary, py_spy_path, record, summarize
from simulators.inbox import Inbox

log = logging.getLogger("bench.ingest")

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"
TARGET_MSGS_PER_S = 20_000
TARGET_RATIO = 0.5
TARGET_ALERT_P99_MS = 250.0
IDLE_BACKGROUND_MSGS_PER_S = 100.0
PHASES = ("baseline", "ingest", "profile", "latency", "idle_latency")
INGEST_SETTINGS_REPORTED = (
    "mqtt_protocol",
    "ingest_batch_size",
    "ingest_batch_wait_s",
    "rule_tick_s",
    "checkpoint_interval_s",
)


@dataclass(frozen=True, slots=True)
class Options:
    """Everything the command line sets."""

    messages: int
    gateways: int
    publishers: int
    connections: int
    window: int
    duration_s: float
    warmup_s: float
    drain_s: float
    duplicate_every: int
    profile_s: float
    latency_events: int
    latency_rate: float
    latency_interval_s: float
    phases: tuple[str, ...]
    output: Path
    workdir: Path | None


def parse_options(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=900_000, help="messages per load phase (default 900000)")
    parser.add_argument("--gateways", type=int, default=1000, help="simulated gateways = households (default 1000)")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes (default 2)")
    parser.add_argument("--connections", type=int, default=4, help="MQTT connections per publisher (default 4)")
    parser.add_argument("--window", type=int, default=2000, help="unacknowledged QoS 1 messages per connection")
    parser.add_argument("--duration", type=float, default=25.0, help="longest a load phase publishes, seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of a phase left out of the rate")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds a phase may run on to drain its backlog")
    parser.add_argument("--duplicate-every", type=int, default=100, help="every n-th message repeats one (0: none)")
    parser.add_argument("--profile", type=float, default=12.0, help="seconds of py-spy sampling (0: no profile)")
    parser.add_argument("--latency-events", type=int, default=200, help="emergency-button presses (default 200)")
    parser.add_argument("--latency-rate", type=float, default=5000.0, help="background msg/s during the presses")
    parser.add_argument("--latency-interval", type=float, default=0.05, help="seconds between presses")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)}",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"result file (default {RESULTS})")
    parser.add_argument("--workdir", type=Path, default=None, help="keep brokers' and stores' files here")
    args = parser.parse_args(argv)
    phases = tuple(name.strip() for name in args.phases.split(",") if name.strip())
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    if args.gateways < args.latency_events and {"latency", "idle_latency"} & set(phases):
        parser.error("--gateways must be at least --latency-events (each press is for its own household)")
    return Options(
        messages=args.messages,
        gateways=args.gateways,
        publishers=args.publishers,
        connections=args.connections,
        window=args.window,
        duration_s=args.duration,
        warmup_s=args.warmup,
        drain_s=args.drain,
        duplicate_every=args.duplicate_every,
        profile_s=args.profile if "profile" in phases else 0.0,
        latency_events=args.latency_events,
        latency_rate=args.latency_rate,
        latency_interval_s=args.latency_interval,
        phases=phases,
        output=args.output,
        workdir=args.workdir,
    )


def machine() -> dict[str, Any]:
    """Return the facts a reader needs to compare results between machines."""
    import psutil

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "mosquitto": mosquitto_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # other work on the machine skews every figure: see each phase's cores_used["others"]
        "load_average_1m_5m_15m": [round(value, 2) for value in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class Benchmark:
    """One run of every phase asked for, sharing one provisioned data directory as a template."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.run_tag = uuid.uuid4().hex[:8]
        self.receiver = Inbox(name="bench-receiver").start()
        self.households: BenchHouseholds | None = None
        self.phases: dict[str, PhaseResult] = {}
        self.profile: ProfileSummary | None = None
        self.latency: dict[str, Any] = {}
        self.idle_latency: dict[str, Any] = {}
        self.failures: dict[str, str] = {}

    def _template(self) -> BenchHouseholds:
        if self.households is None:
            options = self.options
            self.households = provision(
                self.workdir / "template",
                households=options.gateways,
                alarm_households=options.latency_events,
                contact_url=self.receiver.url,
            )
            log.info("provisioned %d households in %.1f s", options.gateways, self.households.seconds)
        return self.households

    def _fresh_data_dir(self, name: str) -> Path:
        target = self.workdir / f"data-{name}"
        shutil.copytree(self._template().data_dir, target)
        return target

    def load(
        self, *, messages: int | None = None, rate: float | None = None, duration: float | None = None
    ) -> LoadConfig:
        options = self.options
        return LoadConfig(
            run_tag=self.run_tag,
            gateway_ids=self._template().gateway_ids,
            messages=messages or options.messages,
            publishers=options.publishers,
            connections=options.connections,
            window=options.window,
            duration_s=duration or options.duration_s,
            warmup_s=options.warmup_s,
            duplicate_every=options.duplicate_every,
            rate_per_s=rate,
        )

    def run_baseline(self) -> None:
        self.phases["baseline"] = run_phase(
            CountingSubscriber(), self.load(), self.workdir, grace_s=self.options.drain_s
        )

    def run_ingest(self) -> None:
        consumer = CloudIngest(self._fresh_data_dir("ingest"), name="ingest")
        self.phases["ingest"] = run_phase(consumer, self.load(), self.workdir, grace_s=self.options.drain_s)

    def run_profile(self) -> None:
        if py_spy_path() is None:
            log.warning("py-spy is not installed: skipping the profile phase")
            return
        options = self.options
        consumer = CloudIngest(self._fresh_data_dir("profile"), name="ingest-profiled")
        output = self.workdir / "ingest-profile.txt"
        done = threading.Event()

        def sample(broker: BenchBroker, go: float) -> None:
            time.sleep(max(0.0, go + options.warmup_s - time.monotonic()))
            record(consumer.pid, output, duration_s=options.profile_s)
            done.set()

        messages = min(options.messages, max(100_000, options.messages // 2))
        self.phases["profile"] = run_phase(
            consumer,
            self.load(messages=messages, duration=options.warmup_s + options.profile_s),
            self.workdir,
            during=sample,
            grace_s=options.drain_s,
        )
        if done.is_set() and output.exists():
            self.profile = summarize(output)

    def run_latency(self) -> None:
        self.latency = self._latency("latency", self.options.latency_rate)

    def run_idle_latency(self) -> None:
        # the same presses over a trickle of background: the alert path's own cost, without queueing
        self.idle_latency = self._latency("idle_latency", IDLE_BACKGROUND_MSGS_PER_S)

    def _latency(self, name: str, background_msgs_per_s: float) -> dict[str, Any]:
        options = self.options
        config = LatencyConfig(
            events=options.latency_events,
            background_msgs_per_s=background_msgs_per_s,
            interval_s=options.latency_interval_s,
            warmup_s=options.warmup_s,
        )
        consumer = CloudIngest(self._fresh_data_dir(name), name=f"ingest-{name.replace('_', '-')}")
        self.receiver.clear()
        presses = ButtonPresses(self._template(), self.receiver, config, run_tag=self.run_tag)
        load = self.load(
            messages=int(config.background_msgs_per_s * config.background_s),
            rate=config.background_msgs_per_s,
            duration=config.background_s,
        )
        self.phases[name] = run_phase(consumer, load, self.workdir, during=presses, grace_s=config.wait_s)
        summary = presses.summary()
        log.info("alert latency (%s, background %.0f msg/s): %s", name, background_msgs_per_s, summary)
        return summary

    def run(self) -> dict[str, Any]:
        try:
            for name in self.options.phases:
                try:
                    getattr(self, f"run_{name}")()
                except Exception as exc:
                    # one broken phase (a missing cloud piece, a crash under load) must not hide the others
                    log.exception("phase %s failed", name)
                    self.failures[name] = f"{type(exc).__name__}: {exc}"
        finally:
            self.receiver.stop()
        return self.report()

    def report(self) -> dict[str, Any]:
        """Return the result document."""
        ingest = self.phases.get("ingest")
        baseline = self.phases.get("baseline")
        ratio = (
            round(ingest.msgs_per_s / baseline.msgs_per_s, 3) if ingest and baseline and baseline.msgs_per_s else None
        )
        ratio_by_cpu = None
        if ingest and baseline and ingest.cpu_us_per_msg and baseline.cpu_us_per_msg:
            ratio_by_cpu = round(baseline.cpu_us_per_msg / ingest.cpu_us_per_msg, 3)
        rss = [phase.peak_rss_mb for name, phase in self.phases.items() if name != "baseline"]
        p99 = self.latency.get("alert_p99_ms")
        report: dict[str, Any] = {
            "msgs_per_s": ingest.msgs_per_s if ingest else None,
            "baseline_msgs_per_s": baseline.msgs_per_s if baseline else None,
            "ratio": ratio,
            "peak_rss_mb": max(rss) if rss else None,
            "alert_p50_ms": self.latency.get("alert_p50_ms"),
            "alert_p99_ms": p99,
            # CPU per message holds when other work takes cores away; 1e6 / it is the rate on one free core
            "ingest_cpu_us_per_msg": ingest.cpu_us_per_msg if ingest else None,
            "baseline_cpu_us_per_msg": baseline.cpu_us_per_msg if baseline else None,
            "ratio_by_cpu": ratio_by_cpu,
            "targets": {
                "msgs_per_s": {
                    "target": TARGET_MSGS_PER_S,
                    "met": _met(ingest and ingest.msgs_per_s, TARGET_MSGS_PER_S),
                },
                "ratio": {"target": TARGET_RATIO, "met": None if ratio is None else ratio >= TARGET_RATIO},
                "alert_p99_ms": {
                    "target": TARGET_ALERT_P99_MS,
                    "met": None if p99 is None else p99 <= TARGET_ALERT_P99_MS,
                },
            },
            "latency": self.latency,
            "idle_latency": self.idle_latency,
            "phases": {name: phase.summary() for name, phase in self.phases.items()},
            "failed_phases": self.failures,
            "profile": self.profile.as_dict() if self.profile else None,
            "machine": machine(),
            "parameters": {
                key: str(value) if isinstance(value, Path) else value
                for key, value in asdict(self.options).items()
                if key not in ("output", "workdir")
            },
        }
        if self.households is not None:
            report["parameters"]["provisioning_s"] = round(self.households.seconds, 1)
        # MIMAMORI_* variables reach the ingest process: say which settings it ran with
        settings = bench_settings(self.workdir)
        report["parameters"]["ingest_settings"] = {
            name: getattr(settings, name)
            for name in (
                "mqtt_protocol",
                "ingest_batch_size",
                "ingest_batch_wait_s",
                "rule_tick_s",
                "checkpoint_interval_s",
            )
        }
        return report


def _met(value: float | Any | None, target: float) -> bool | None:
    return None if value is None or value is False else float(value) >= target


def _code_version() -> dict[str, Any]:
    """Return the commit the benchmark ran on, and whether the tree had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain", "--", "."))}


def _exit_on_sigterm(signum: int, frame: object) -> None:
    # SystemExit unwinds through every phase's finally: brokers and child processes are stopped
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the result file; exit 0 when every phase ran, whatever the figures."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for chatty in ("alembic", "cloud.db"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    options = parse_options(argv)
    started = time.monotonic()
    if options.workdir is not None:
        options.workdir.mkdir(parents=True, exist_ok=True)
        report = Benchmark(options, options.workdir).run()
    else:
        with tempfile.TemporaryDirectory(prefix="mimamori-bench-") as workdir:
            report = Benchmark(options, Path(workdir)).run()
    report["parameters"]["wall_s"] = round(time.monotonic() - started, 1)
    report["code"] = _code_version()
    options.output.parent.mkdir(parents=True, exist_ok=True)
    partial = options.output.with_suffix(".json.tmp")
    partial.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    partial.replace(options.output)
    keys = ("msgs_per_s", "baseline_msgs_per_s", "ratio", "peak_rss_mb", "alert_p50_ms", "alert_p99_ms")
    print(json.dumps({key: report[key] for key in keys}, indent=2))
    print(f"written to {options.output}", file=sys.stderr)
    if report["failed_phases"]:
        print(f"failed phases: {report['failed_phases']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
