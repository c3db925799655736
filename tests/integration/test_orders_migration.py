"""Migration 0003 creates exactly the tables the models describe, and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.database import alembic_config
from bot.db_schema import target_metadata
from knowledge_base.db import make_engine

ORDER_TABLES = {"orders", "order_items"}


def _mentions_orders(diff: object) -> bool:
    # (Later tables such as order_bindings are not 0003's business.)
    names = ("'orders'", "'order_items'", "ix_orders_", "ix_order_items_")
    return any(name in repr(diff) for name in names)


def test_migration_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    command.upgrade(alembic_config(url), "0003")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) >= ORDER_TABLES
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, target_metadata) if _mentions_orders(d)]
        assert diffs == []
    finally:
        engine.dispose()

    command.downgrade(alembic_config(url), "0002")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert not ORDER_TABLES & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
