"""The telemetry stores (SQLite and a real VictoriaMetrics): one contract, the same assertions on both."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from cloud.config import Settings
from cloud.service import CloudService
from cloud.telemetry import (
    Sample,
    TelemetryStore,
    TelemetryUnavailable,
    VictoriaMetricsTelemetryStore,
    open_telemetry_store,
)
from protocol import Metric, Reading, ReadingBatch, TopicKind, encode, new_message_id, topic_for
from tests.cloud.conftest import GATEWAY, HOUSEHOLD, START, GatewayPublisher
from tests.support import wait_until
from tests.support.victoria import VictoriaMetricsServer

T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
API_TOKEN = "telemetry-test-token"


def sample(value: float, *, minutes: int = 0, metric: str = "temperature_c", device: str = "c-1") -> Sample:
    return Sample(
        household_id="taito-0001",
        gateway_id="gw-1",
        device_id=device,
        metric=metric,
        ts=T0 + timedelta(minutes=minutes),
        value=value,
    )


@dataclass
class Backend:
    """A telemetry store under test, how to reach it again, and how to make fresh writes searchable."""

    name: str
    url: str
    store: TelemetryStore
    settle: Callable[[], None]
    restart: Callable[[], None]

    def write(self, samples: list[Sample]) -> None:
        self.store.write(samples)
        self.settle()


@pytest.fixture(params=["sqlite", "victoriametrics"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each contract test runs on the embedded SQLite store and on a real VictoriaMetrics server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'telemetry.db'}"
        sqlite_backend = Backend("sqlite", url, open_telemetry_store(url), settle=lambda: None, restart=lambda: None)
        yield sqlite_backend
        sqlite_backend.store.close()
        return
    server = VictoriaMetricsServer(tmp_path / "victoria")
    server.start()

    def restart() -> None:
        server.stop()
        server.start()

    url = server.telemetry_url
    victoria_backend = Backend("victoriametrics", url, open_telemetry_store(url), settle=server.flush, restart=restart)
    yield victoria_backend
    victoria_backend.store.close()
    server.stop()


def test_writing_a_sample_twice_keeps_one(backend: Backend) -> None:
    """A re-delivered reading (same gateway, device, metric, time) is stored once."""
    backend.write([sample(21.0)])
    backend.write([sample(21.0), sample(22.0, minutes=1)])
    backend.write([sample(21.0)])

    found = backend.store.query(start=T0, end=T0 + timedelta(hours=1))

    assert [(s.ts, s.value) for s in found] == [(T0, 21.0), (T0 + timedelta(minutes=1), 22.0)]


def test_a_corrected_value_replaces_the_old_on_sqlite(tmp_path: Path) -> None:
    """On SQLite a second, different value of the same key replaces the first.

    (VictoriaMetrics keeps one of the two, its choice: only the re-delivery case above is shared.)
    """
    store = open_telemetry_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    store.write([sample(21.0)])
    store.write([sample(21.0), sample(21.5)])

    assert [s.value for s in store.query(start=T0, end=T0 + timedelta(hours=1))] == [21.5]
    store.close()


def test_query_filters_by_metric_and_time(backend: Backend) -> None:
    """A query returns only the asked metric inside [start, end), oldest first, times in UTC."""
    backend.write(
        [
            sample(20.0, minutes=0),
            sample(21.0, minutes=5),
            sample(22.0, minutes=10),
            sample(50.0, metric="humidity_pct"),
        ]
    )

    found = backend.store.query(
        household_id="taito-0001", metric="temperature_c", start=T0, end=T0 + timedelta(minutes=10)
    )

    assert [(s.ts, s.value) for s in found] == [(T0, 20.0), (T0 + timedelta(minutes=5), 21.0)]
    assert all(s.ts.tzinfo is UTC for s in found)
    assert {(s.household_id, s.gateway_id, s.device_id, s.metric) for s in found} == {
        ("taito-0001", "gw-1", "c-1", "temperature_c")
    }


def test_query_filters_by_household_and_device(backend: Backend) -> None:
    """Samples of another household or device are left out when a query names one."""
    other = Sample(
        household_id="taito-0002", gateway_id="gw-2", device_id="c-1", metric="temperature_c", ts=T0, value=9
    )
    backend.write([sample(20.0), sample(19.0, device="c-2"), other])
    window = {"start": T0, "end": T0 + timedelta(minutes=1)}

    assert [s.value for s in backend.store.query(household_id="taito-0002", **window)] == [9.0]
    assert [s.value for s in backend.store.query(gateway_id="gw-1", device_id="c-2", **window)] == [19.0]
    assert sorted(s.value for s in backend.store.query(device_id="c-1", **window)) == [9.0, 20.0]


def test_latest_gives_the_newest_sample_of_each_series(backend: Backend) -> None:
    """`latest` answers one sample per series: the newest."""
    backend.write([sample(20.0), sample(23.0, minutes=15), sample(19.0, minutes=3, device="c-2")])

    latest = backend.store.latest(gateway_id="gw-1", metric="temperature_c")

    assert [(s.device_id, s.ts, s.value) for s in latest] == [
        ("c-1", T0 + timedelta(minutes=15), 23.0),
        ("c-2", T0 + timedelta(minutes=3), 19.0),
    ]


def test_samples_survive_reopening(backend: Backend) -> None:
    """Samples written are still there after the store (and the server) is closed and opened again."""
    backend.write([sample(20.0)])
    backend.store.close()
    backend.restart()

    backend.store = open_telemetry_store(backend.url)
    assert [s.value for s in backend.store.latest()] == [20.0]


def test_unknown_backend_is_refused() -> None:
    """A telemetry URL of a backend not built is refused with a clear error."""
    with pytest.raises(ValueError, match="unsupported telemetry store"):
        open_telemetry_store("influxdb://localhost:8086/mimamori")


def test_a_victoriametrics_url_needs_a_host() -> None:
    """A VictoriaMetrics URL without a host is refused before anything is written."""
    with pytest.raises(ValueError, match="victoriametrics\\+http://host:8428"):
        open_telemetry_store("victoriametrics+ftp://")


def test_a_server_that_is_down_makes_writes_fail(tmp_path: Path) -> None:
    """Writing to a VictoriaMetrics that is not there raises TelemetryUnavailable: the ingest keeps the batch."""
    server = VictoriaMetricsServer(tmp_path / "victoria")  # never started: nothing listens on its port
    store = open_telemetry_store(server.telemetry_url)
    with pytest.raises(TelemetryUnavailable, match="cannot be reached"):
        store.write([sample(20.0)])
    store.close()


def test_a_published_reading_reaches_the_charts_through_victoriametrics(
    start_service: Callable[..., CloudService], gateway: GatewayPublisher, tmp_path: Path
) -> None:
    """End to end: a gateway's reading goes through Mosquitto and the ingest into VictoriaMetrics,
    and the console's chart of the household shows it (temperature and the WBGT made from it)."""
    server = VictoriaMetricsServer(tmp_path / "victoria")
    server.start()
    try:
        service = start_service(api_port=0, api_token=API_TOKEN, telemetry_url=server.telemetry_url)
        taken = START - timedelta(minutes=10)
        batch = ReadingBatch(
            msg_id=new_message_id(),
            gateway_id=GATEWAY,
            ts=taken,
            readings=[
                Reading(device_id="climate-1", metric=Metric.TEMPERATURE_C, value=31.5, ts=taken),
                Reading(device_id="climate-1", metric=Metric.HUMIDITY_PCT, value=70.0, ts=taken),
            ],
        )
        gateway.publish(topic_for(GATEWAY, TopicKind.READINGS), encode(batch))
        wait_until(lambda: service.stats.accepted == 1, what="readings accepted")

        assert service.api_url is not None
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        with httpx.Client(base_url=service.api_url, headers=headers, timeout=10) as api:

            def charted() -> dict[str, Any] | None:
                server.flush()
                charts: dict[str, Any] = api.get(f"/api/v1/households/{HOUSEHOLD}/charts").raise_for_status().json()
                return charts if charts["temperature_c"] else None

            charts = wait_until(charted, timeout=10, what="the reading on the chart")
        assert [(point["ts"], point["value"]) for point in charts["temperature_c"]] == [
            (taken.isoformat().replace("+00:00", "Z"), 31.5)
        ]
        assert len(charts["wbgt_c"]) == 1 and charts["wbgt_c"][0]["value"] > 28  # a hot, humid room
        assert isinstance(service.telemetry, VictoriaMetricsTelemetryStore)
    finally:
        server.stop()


def test_settings_refuse_a_telemetry_url_of_no_known_store(tmp_path: Path) -> None:
    """MIMAMORI_TELEMETRY_URL of an unknown kind stops the start with a message naming the variable."""
    with pytest.raises(ValidationError, match="telemetry_url"):
        Settings(data_dir=tmp_path, telemetry_url="influxdb://localhost:8086/mimamori")

    assert Settings(data_dir=tmp_path, telemetry_url="victoriametrics+http://vm:8428").telemetry_url.startswith("victo")
