"""Migration 0011 creates exactly the order-binding tables the models describe, and can be
undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.database import alembic_config
from bot.db_schema import target_metadata
from knowledge_base.db import make_engine

TABLES = {"order_bindings", "order_verification_attempts"}


def _mentions_ours(diff: object) -> bool:
    return any(f"'{name}'" in repr(diff) or f"ix_{name}" in repr(diff) for name in TABLES)


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    command.upgrade(alembic_config(url), "0011")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) >= TABLES
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, target_metadata) if _mentions_ours(d)]
        assert diffs == []
    finally:
        engine.dispose()

    command.downgrade(alembic_config(url), "0010")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert not TABLES & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
