"""The SQLite telemetry store: idempotent writes and filtered queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloud.telemetry import Sample, TelemetryStore, open_telemetry_store

T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def sample(value: float, *, minutes: int = 0, metric: str = "temperature_c", device: str = "c-1") -> Sample:
    return Sample(
        household_id="taito-0001",
        gateway_id="gw-1",
        device_id=device,
        metric=metric,
        ts=T0 + timedelta(minutes=minutes),
        value=value,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelemetryStore]:
    opened = open_telemetry_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    yield opened
    opened.close()


def test_writing_a_sample_twice_keeps_one(store: TelemetryStore) -> None:
    """The same (gateway, device, metric, time) written twice is stored once, with the last value."""
    store.write([sample(21.0)])
    store.write([sample(21.0), sample(21.5)])

    assert [s.value for s in store.query(start=T0, end=T0 + timedelta(hours=1))] == [21.5]


def test_query_filters_by_metric_and_time(store: TelemetryStore) -> None:
    """A query returns only the asked metric inside [start, end), oldest first, times in UTC."""
    store.write(
        [
            sample(20.0, minutes=0),
            sample(21.0, minutes=5),
            sample(22.0, minutes=10),
            sample(50.0, metric="humidity_pct"),
        ]
    )

    found = store.query(household_id="taito-0001", metric="temperature_c", start=T0, end=T0 + timedelta(minutes=10))

    assert [(s.ts, s.value) for s in found] == [(T0, 20.0), (T0 + timedelta(minutes=5), 21.0)]
    assert all(s.ts.tzinfo is UTC for s in found)


def test_latest_gives_the_newest_sample_of_each_series(store: TelemetryStore) -> None:
    """`latest` answers one sample per series: the newest."""
    store.write([sample(20.0), sample(23.0, minutes=15), sample(19.0, minutes=3, device="c-2")])

    latest = store.latest(gateway_id="gw-1", metric="temperature_c")

    assert [(s.device_id, s.value) for s in latest] == [("c-1", 23.0), ("c-2", 19.0)]


def test_samples_survive_reopening(tmp_path: Path) -> None:
    """Samples written are still there after the store is closed and opened again."""
    url = f"sqlite:///{tmp_path / 'telemetry.db'}"
    first = open_telemetry_store(url)
    first.write([sample(20.0)])
    first.close()

    second = open_telemetry_store(url)
    assert [s.value for s in second.latest()] == [20.0]
    second.close()


def test_unknown_backend_is_refused() -> None:
    """A telemetry URL of a backend not built yet is refused with a clear error."""
    with pytest.raises(ValueError, match="unsupported telemetry store"):
        open_telemetry_store("influxdb://localhost:8086/mimamori")
