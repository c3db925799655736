"""One migration checked against the models: it creates exactly the tables they describe
(columns, types, indexes) and its downgrade removes them again."""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.database import alembic_config
from bot.db_schema import target_metadata
from knowledge_base.db import make_engine


def _mentions(diff: object, tables: Set[str]) -> bool:
    # Index names follow the naming convention "ix_<table>_<column>".
    return any(f"'{name}'" in repr(diff) or f"ix_{name}_" in repr(diff) for name in tables)


def assert_migration_matches_the_models(
    tmp_path: Path, *, revision: str, previous: str, tables: Set[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    command.upgrade(alembic_config(url), revision)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) >= tables
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, target_metadata)
                     if _mentions(d, tables)]
        assert diffs == []
    finally:
        engine.dispose()

    command.downgrade(alembic_config(url), previous)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert not tables & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
