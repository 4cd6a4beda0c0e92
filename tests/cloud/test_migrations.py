"""Migrations: `migrate` builds exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cloud.db import Base, create_db_engine, migrate
from cloud.db.session import MIGRATIONS_DIR


def schema_differences(url: str) -> list[object]:
    """What alembic finds different between the database at `url` and the models."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Run alembic's downgrade to `revision` on the database at `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def test_migrations_yield_the_models_schema(empty_database_url: str) -> None:
    """After `migrate`, alembic finds no difference between the database and the models."""
    migrate(empty_database_url)

    assert schema_differences(empty_database_url) == []


def test_migrate_twice_keeps_the_schema(empty_database_url: str) -> None:
    """Running `migrate` on an up-to-date database changes nothing."""
    migrate(empty_database_url)

    migrate(empty_database_url)

    assert table_names(empty_database_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_migrations_go_down_to_nothing_and_up_again(empty_database_url: str) -> None:
    """Every revision can be undone: down to an empty database, then up to the models' schema again."""
    migrate(empty_database_url)

    downgrade(empty_database_url, "base")
    assert table_names(empty_database_url) <= {"alembic_version"}

    migrate(empty_database_url)
    assert schema_differences(empty_database_url) == []
