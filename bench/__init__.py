"""Benchmarks of the mimamori cloud; `python -m bench.ingest` runs the ingest benchmark (see README.md).

The pieces below are reusable by later benchmarks: a throughput-configured broker, load
publishers, consumers to measure (the bare baseline and the real cloud ingest), one load phase
with its steady-window rate (notifications are timed by simulators.inbox).
"""

from bench.baseline import CountingSubscriber
from bench.broker import BenchBroker
from bench.cloud_ingest import CloudIngest
from bench.households import BenchHouseholds, provision
from bench.latency import ButtonPresses, LatencyConfig
from bench.load import Consumer, LoadConfig, PhaseResult, run_phase
from bench.profiling import ProfileSummary, summarize

__all__ = [
    "BenchBroker",
    "BenchHouseholds",
    "ButtonPresses",
    "CloudIngest",
    "Consumer",
    "CountingSubscriber",
    "LatencyConfig",
    "LoadConfig",
    "PhaseResult",
    "ProfileSummary",
    "provision",
    "run_phase",
    "summarize",
]
