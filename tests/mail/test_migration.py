"""Migration 0010 creates exactly the mail tables the models describe, and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.database import alembic_config
from bot.db_schema import target_metadata
from knowledge_base.db import make_engine

MAIL_TABLES = {"mail_threads", "mail_inbound", "mail_outbox", "mail_cursors"}


def _mentions_mail(diff: object) -> bool:
    return any(f"'{name}'" in repr(diff) or f"ix_{name}" in repr(diff) for name in MAIL_TABLES)


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    command.upgrade(alembic_config(url), "0010")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) >= MAIL_TABLES
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = [d for d in compare_metadata(context, target_metadata) if _mentions_mail(d)]
        assert diffs == []
    finally:
        engine.dispose()

    command.downgrade(alembic_config(url), "0009")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert not MAIL_TABLES & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
