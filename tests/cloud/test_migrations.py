"""Migrations: `migrate` builds exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cloud.db import Base, create_db_engine, migrate


def test_migrations_yield_the_models_schema(tmp_path: Path) -> None:
    """After `migrate`, alembic finds no difference between the database and the models."""
    url = f"sqlite:///{tmp_path / 'mimamori.db'}"

    migrate(url)

    engine = create_db_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_migrate_twice_keeps_the_schema(tmp_path: Path) -> None:
    """Running `migrate` on an up-to-date database changes nothing."""
    url = f"sqlite:///{tmp_path / 'nested' / 'mimamori.db'}"
    migrate(url)

    migrate(url)

    engine = create_db_engine(url)
    assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    engine.dispose()
