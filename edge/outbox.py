"""Store-and-forward queue of the gateway: every message is on disk before it is sent.

SQLite in WAL mode with ``synchronous=FULL``: a row that `append` returned for survives a
power cut. Rows leave only when `remove` is called after the broker's PUBACK, so an outage
or a crash replays them, in order, on the next connection.

Order: alarm events (`protocol.ALARM_EVENT_KINDS`, the help button) first, then everything
else first-in first-out by sequence number.

Bound: above ``max_messages`` rows, the oldest routine rows (readings, status) are dropped
and counted in `dropped`; events and location fixes are never dropped, so in the worst case
the file grows past the bound rather than lose a call for help.

Threading: the agent calls this from its asyncio loop thread. Each call is one short
transaction (one fsync of a few hundred bytes, about a millisecond on a Pi's SD card at a
few messages a minute), which is cheaper and simpler than a worker thread and keeps every
write in the order the loop saw it. The connection refuses use from other threads.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from protocol import ALARM_EVENT_KINDS, Event, GatewayStatus, LocationFix, Presence, ReadingBatch, TopicKind, encode

log = logging.getLogger(__name__)

DROPPABLE_KINDS = frozenset({TopicKind.READINGS, TopicKind.STATUS})
ALARM_PRIORITY = 1
ROUTINE_PRIORITY = 0

_KIND_BY_MODEL: dict[type[BaseModel], TopicKind] = {
    ReadingBatch: TopicKind.READINGS,
    Event: TopicKind.EVENTS,
    LocationFix: TopicKind.LOCATION,
    Presence: TopicKind.PRESENCE,
    GatewayStatus: TopicKind.STATUS,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    priority INTEGER NOT NULL,
    kind TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_send_order ON outbox (priority DESC, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One stored message waiting for its PUBACK."""

    seq: int
    kind: TopicKind
    msg_id: str
    payload: bytes
    priority: int


class GatewayOutbox:
    """Durable, bounded, priority-then-FIFO queue of uplink messages."""

    def __init__(self, path: Path | str, *, max_messages: int = 100_000) -> None:
        if max_messages < 1:
            raise ValueError("max_messages must be positive")
        self.path = Path(path)
        self.max_messages = max_messages
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: each statement group below commits in one explicit transaction
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def append(self, message: ReadingBatch | Event | LocationFix | Presence | GatewayStatus) -> int:
        """Store a message durably and return its sequence number."""
        kind = _KIND_BY_MODEL[type(message)]
        alarm = isinstance(message, Event) and message.kind in ALARM_EVENT_KINDS
        priority = ALARM_PRIORITY if alarm else ROUTINE_PRIORITY
        with self._transaction():
            cursor = self._db.execute(
                "INSERT INTO outbox (priority, kind, msg_id, payload) VALUES (?, ?, ?, ?)",
                (priority, kind.value, message.msg_id, encode(message)),
            )
            self._enforce_bound()
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def peek(self, limit: int = 1) -> list[OutboxEntry]:
        """Return up to `limit` messages in send order, without removing them."""
        rows = self._db.execute(
            "SELECT seq, kind, msg_id, payload, priority FROM outbox ORDER BY priority DESC, seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            OutboxEntry(seq=seq, kind=TopicKind(kind), msg_id=msg_id, payload=bytes(payload), priority=priority)
            for seq, kind, msg_id, payload, priority in rows
        ]

    def remove(self, seqs: list[int]) -> None:
        """Forget messages the broker has acknowledged."""
        if not seqs:
            return
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(seq,) for seq in seqs])

    def depth(self) -> int:
        """Return how many messages wait to be sent."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(count)

    @property
    def dropped(self) -> int:
        """Routine messages dropped to keep the bound, over the life of the file."""
        row = self._db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        """Close the database; the file keeps every unsent message."""
        self._db.close()

    def _transaction(self) -> sqlite3.Connection:
        # sqlite3.Connection as a context manager commits or rolls back, but does not BEGIN in
        # autocommit mode; begin explicitly so insert + bound enforcement are one commit
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def _enforce_bound(self) -> None:
        (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        excess = int(count) - self.max_messages
        if excess <= 0:
            return
        droppable = ", ".join(f"'{kind.value}'" for kind in sorted(DROPPABLE_KINDS))
        cursor = self._db.execute(
            f"DELETE FROM outbox WHERE seq IN "
            f"(SELECT seq FROM outbox WHERE kind IN ({droppable}) ORDER BY seq LIMIT ?)",
            (excess,),
        )
        if cursor.rowcount > 0:
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES ('dropped', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                (cursor.rowcount,),
            )
            log.warning("outbox full (%d messages): dropped %d oldest readings", count, cursor.rowcount)
        if cursor.rowcount < excess:
            log.warning("outbox over its bound with %d messages: events are kept", count - cursor.rowcount)
