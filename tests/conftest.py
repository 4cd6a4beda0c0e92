"""Shared fixtures: a real Mosquitto broker, a real HTTP notification receiver, the entity databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloud.db import migrate
from tests.support import MosquittoBroker, NotificationReceiver
from tests.support.postgres import PostgresCluster

# the tests that run on both entity databases, SQLite and a real PostgreSQL: the schema, the
# ingest's store and de-duplication, the alert lifecycle, the disaster desk. A module maps to
# None (all its tests) or to the names of the tests whose outcome the database can change
BOTH_DATABASES: dict[str, frozenset[str] | None] = {
    "tests/cloud/test_migrations.py": None,
    "tests/cloud/test_ingest.py": frozenset(
        {
            "test_bad_and_good_messages_in_one_batch_keep_the_good_ones",
            "test_duplicate_message_is_stored_once",
            "test_duplicate_after_restart_is_stored_once",
            "test_readings_go_to_the_telemetry_store",
            "test_status_updates_the_gateway",
            "test_location_fix_is_stored_with_a_tracker_device",
            "test_event_is_stored_with_its_household",
            "test_gateway_registered_while_running_is_accepted",
        }
    ),
    "tests/cloud/test_alerting.py": None,
    "tests/disaster/test_api.py": None,
    "tests/disaster/test_recipient_rows.py": None,
}
ROOT = Path(__file__).resolve().parent.parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests named in BOTH_DATABASES once on SQLite and once on PostgreSQL."""
    if "database_url" not in metafunc.fixturenames:
        return
    module = Path(metafunc.definition.path).relative_to(ROOT).as_posix()
    if module not in BOTH_DATABASES:
        return
    names = BOTH_DATABASES[module]
    if names is None or metafunc.definition.originalname in names:
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A Mosquitto broker of this test's own, on a free loopback port."""
    broker = MosquittoBroker(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def receiver() -> Iterator[NotificationReceiver]:
    """An HTTP server that records the notifications apprise posts to it."""
    server = NotificationReceiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One PostgreSQL cluster for the whole run (started on first use); each test takes its own database."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres_migrated(postgres: PostgresCluster) -> str:
    """The name of a database migrated to the newest schema, copied (CREATE DATABASE … TEMPLATE) per test."""
    url = postgres.create_database()
    migrate(url)
    return url.rsplit("/", 1)[1]


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The entity database of this test: SQLite in the data dir, or a fresh, migrated PostgreSQL database.

    Plain SQLite unless the module is in BOTH_DATABASES (then once per backend).
    """
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'mimamori.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database(template=request.getfixturevalue("postgres_migrated"))


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> str:
    """Like database_url, but without any table yet (for the migrations' own tests)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'empty' / 'mimamori.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.create_database()
