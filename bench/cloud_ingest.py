"""The system under test: the real cloud (CloudService, API off) in a process of its own.

The conductor provisions a fresh data directory first; this process only runs the service and
copies its ingest counters to shared memory a few times a second.
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.broker import BenchBroker
from bench.mqtt_wire import open_session, packet_id_for, publish_packet
from bench.shared import CONTEXT, SharedInt, shared_int
from protocol import GatewayState, GatewayStatus, TopicKind, encode, new_message_id, topic_for

if TYPE_CHECKING:
    from cloud.config import Settings

log = logging.getLogger(__name__)

PROBE_GATEWAY = "bench-probe"
COUNTER_PERIOD_S = 0.2


@dataclass(slots=True)
class IngestCounters:
    """The ingest's counters, mirrored in shared memory."""

    processed: SharedInt
    accepted: SharedInt
    duplicates: SharedInt
    rejected: SharedInt
    queue_depth: SharedInt
    broker_connected: SharedInt
    max_rss_kb: SharedInt

    @classmethod
    def create(cls) -> IngestCounters:
        return cls(*(shared_int() for _ in range(7)))


def bench_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Return the cloud settings of a bench run: its own stores and broker, API off.

    The stores are named explicitly so a MIMAMORI_DATABASE_URL in the environment can never point
    the benchmark at a real database; other MIMAMORI_* variables (protocol, batch size…) still apply.
    """
    from cloud.config import Settings

    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": f"sqlite:///{data_dir / 'mimamori.db'}",
        "telemetry_url": f"sqlite:///{data_dir / 'telemetry.db'}",
        "mqtt_client_id": "bench-cloud-ingest",
        "api_port": None,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


def run_cloud_ingest(
    *, data_dir: Path, host: str, port: int, counters: IngestCounters, ready: EventType, stop: EventType
) -> None:
    """Process entry: run CloudService against the broker until `stop` is set."""
    from cloud.service import CloudService

    logging.basicConfig(level=logging.WARNING, format="ingest %(levelname)s %(name)s: %(message)s")
    settings = bench_settings(data_dir, mqtt_host=host, mqtt_port=port)
    with CloudService(settings) as service:
        ready.set()
        while not stop.is_set():
            # a plain sleep, not stop.wait(): py-spy counts a multiprocessing wait as busy time
            time.sleep(COUNTER_PERIOD_S)
            stats = service.stats
            counters.processed.value = stats.accepted + stats.rejected_total + stats.ignored
            counters.accepted.value = stats.accepted
            counters.duplicates.value = stats.rejected.get("duplicate", 0)
            counters.rejected.value = stats.rejected_total
            counters.queue_depth.value = stats.queue_depth
            counters.broker_connected.value = int(stats.broker_connected)
            counters.max_rss_kb.value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class CloudIngest:
    """The ingest consumer of a load phase: CloudService on a provisioned data directory."""

    def __init__(self, data_dir: Path, *, name: str = "ingest") -> None:
        self.name = name
        self.data_dir = data_dir
        self.counters = IngestCounters.create()
        self._stop = CONTEXT.Event()
        self._process: BaseProcess | None = None

    def start(self, broker: BenchBroker, *, timeout_s: float = 60.0) -> None:
        """Start the service and wait until its subscription delivers a probe message."""
        ready = CONTEXT.Event()
        self._process = CONTEXT.Process(
            target=run_cloud_ingest,
            kwargs={
                "data_dir": self.data_dir,
                "host": broker.host,
                "port": broker.port,
                "counters": self.counters,
                "ready": ready,
                "stop": self._stop,
            },
            name=f"cloud-{self.name}",
        )
        self._process.start()
        deadline = time.monotonic() + timeout_s
        while not ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the cloud service did not start (exit code {self._process.exitcode})")
        self._probe(broker, deadline)

    def _probe(self, broker: BenchBroker, deadline: float) -> None:
        # "connected" comes before the SUBACK: only a message that went all the way proves the subscription
        sock = open_session(broker.host, broker.port, f"bench-probe-{self.name}")
        try:
            sequence = 0
            while self.counters.processed.value == 0:
                if time.monotonic() > deadline:
                    raise RuntimeError("the cloud ingest never processed the probe message")
                status = GatewayStatus(
                    msg_id=new_message_id(), gateway_id=PROBE_GATEWAY, ts=_now(), state=GatewayState.ONLINE
                )
                topic = topic_for(PROBE_GATEWAY, TopicKind.STATUS)
                sock.sendall(publish_packet(topic, encode(status), packet_id=packet_id_for(sequence)))
                sequence += 1
                time.sleep(0.2)
        finally:
            sock.close()

    def processed(self) -> int:
        return self.counters.processed.value

    def details(self) -> dict[str, int]:
        """Return the ingest's own counters (the probe messages included)."""
        counters = self.counters
        return {
            "processed": counters.processed.value,
            "accepted": counters.accepted.value,
            "duplicates_dropped": counters.duplicates.value,
            "rejected_total": counters.rejected.value,
            "queue_depth": counters.queue_depth.value,
            "max_rss_kb": counters.max_rss_kb.value,
        }

    @property
    def pid(self) -> int:
        if self._process is None or self._process.pid is None:
            raise RuntimeError("the cloud ingest is not running")
        return self._process.pid

    def stop(self) -> None:
        if self._process is None:
            return
        self._stop.set()
        self._process.join(timeout=60)
        if self._process.is_alive():
            log.warning("the cloud ingest did not stop within 60 s: terminating it")
            self._process.terminate()
            self._process.join()
        self._process = None


def _now() -> datetime:
    return datetime.now(UTC)
