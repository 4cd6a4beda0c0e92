"""The embedded telemetry backend: one SQLite file of its own, WAL, batched writes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloud.db.bulk import insert_rows
from cloud.telemetry.base import Sample

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    gateway_id   TEXT    NOT NULL,
    device_id    TEXT    NOT NULL,
    metric       TEXT    NOT NULL,
    ts_us        INTEGER NOT NULL,
    value        REAL    NOT NULL,
    household_id TEXT,
    PRIMARY KEY (gateway_id, device_id, metric, ts_us)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_samples_household_ts ON samples (household_id, ts_us);
"""

_INSERT = "INSERT OR REPLACE INTO samples (gateway_id, device_id, metric, ts_us, value, household_id)"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("telemetry times must be timezone-aware")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_us(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def _where(filters: dict[str, str | None]) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in filters.items():
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return clauses, params


def _sample(row: tuple[Any, ...]) -> Sample:
    gateway_id, device_id, metric, ts_us, value, household_id = row
    return Sample(
        household_id=household_id,
        gateway_id=gateway_id,
        device_id=device_id,
        metric=metric,
        ts=_from_us(ts_us),
        value=value,
    )


class SqliteTelemetryStore:
    """Telemetry in SQLite; each thread gets its own connection so readers never wait for a writer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        connection = self._connection()
        connection.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        if self._closed:
            raise RuntimeError("telemetry store is closed")
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=30000")
        self._local.connection = connection
        with self._lock:
            self._connections.append(connection)
        return connection

    def write(self, samples: Sequence[Sample]) -> None:
        """Store samples in one transaction; the same (gateway, device, metric, ts) is kept once."""
        if not samples:
            return
        rows = [(s.gateway_id, s.device_id, s.metric, _to_us(s.ts), s.value, s.household_id) for s in samples]
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            insert_rows(connection.cursor(), _INSERT, rows)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def query(
        self,
        *,
        household_id: str | None = None,
        gateway_id: str | None = None,
        device_id: str | None = None,
        metric: str | None = None,
        start: datetime,
        end: datetime,
    ) -> list[Sample]:
        """Return the samples with start <= ts < end that match every given filter, oldest first."""
        clauses, params = _where(
            {"household_id": household_id, "gateway_id": gateway_id, "device_id": device_id, "metric": metric}
        )
        clauses += ["ts_us >= ?", "ts_us < ?"]
        params += [_to_us(start), _to_us(end)]
        sql = (
            "SELECT gateway_id, device_id, metric, ts_us, value, household_id FROM samples "
            f"WHERE {' AND '.join(clauses)} ORDER BY ts_us, gateway_id, device_id, metric"
        )
        return [_sample(row) for row in self._connection().execute(sql, params)]

    def latest(
        self,
        *,
        household_id: str | None = None,
        gateway_id: str | None = None,
        device_id: str | None = None,
        metric: str | None = None,
    ) -> list[Sample]:
        """Return the newest sample of every matching series (gateway, device, metric)."""
        clauses, params = _where(
            {"household_id": household_id, "gateway_id": gateway_id, "device_id": device_id, "metric": metric}
        )
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        # SQLite returns the other columns of the row that holds max(): one row per series
        sql = (
            "SELECT gateway_id, device_id, metric, max(ts_us), value, household_id FROM samples "
            f"{where} GROUP BY gateway_id, device_id, metric ORDER BY gateway_id, device_id, metric"
        )
        return [_sample(row) for row in self._connection().execute(sql, params)]

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
