"""Telemetry (sensor readings) behind a small interface: SQLite embedded, or a VictoriaMetrics server."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from cloud.telemetry.base import Sample, TelemetryStore, TelemetryUnavailable
from cloud.telemetry.sqlite import SqliteTelemetryStore
from cloud.telemetry.victoria import VictoriaMetricsTelemetryStore, parse_victoria_url

__all__ = [
    "Sample",
    "SqliteTelemetryStore",
    "TelemetryStore",
    "TelemetryUnavailable",
    "VictoriaMetricsTelemetryStore",
    "open_telemetry_store",
]


def open_telemetry_store(url: str) -> TelemetryStore:
    """Open the telemetry store a URL names.

    ``sqlite:///path/telemetry.db`` (the embedded default) or ``victoriametrics+http://host:8428``.
    """
    if url.startswith("victoriametrics"):
        return VictoriaMetricsTelemetryStore(parse_victoria_url(url))
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("the SQLite telemetry store needs a file path: sqlite:///path/telemetry.db")
        return SqliteTelemetryStore(Path(parsed.database).expanduser())
    raise ValueError(
        f"unsupported telemetry store {parsed.drivername!r}: use sqlite:///path or victoriametrics+http://host:8428"
    )
