"""Engines, sessions and migrations of the entity store (SQLite by default, PostgreSQL too)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

Sessions = sessionmaker[Session]


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()
_HOLDS_LOCK = "mimamori_write_lock"


def _write_lock(url: str) -> threading.Lock:
    """Return the process-wide writer lock of one SQLite database file."""
    database = make_url(url).database or ":memory:"
    key = database if database == ":memory:" else str(Path(database).expanduser().resolve())
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite turn on WAL, foreign keys, a busy timeout and write-ahead transactions."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    _prepare_sqlite_file(url)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    # SQLite's busy handler polls with sleeps of up to 100 ms, so a writer can starve behind a busy
    # ingest for seconds; threads of this process queue on a lock instead and start the moment it is free
    lock = _write_lock(url)

    def release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_LOCK, False):
            lock.release()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # take transaction control from the sqlite3 module so "begin" below decides how to start
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
        connection.info[_HOLDS_LOCK] = True
        try:
            # IMMEDIATE takes the write lock up front: a deferred transaction that reads, then writes
            # fails at once with SQLITE_BUSY when another thread committed in between, busy_timeout or not
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            release(connection.info)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Connection) -> None:
        # fires just before COMMIT: the next writer's BEGIN waits a millisecond in the busy handler at most
        release(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Connection) -> None:
        release(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, connection_record: Any) -> None:
        release(connection_record.info)  # a connection given back mid-transaction must not keep the lock

    return engine


def make_sessions(url: str, **kwargs: Any) -> Sessions:
    """Return a session factory bound to a new engine for `url`."""
    return sessionmaker(bind=create_db_engine(url, **kwargs), expire_on_commit=False)


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` with alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()
    log.info("database at %s upgraded to %s", make_url(url).render_as_string(hide_password=True), revision)
