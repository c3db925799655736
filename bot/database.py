"""Create the engine and bring the schema to the newest migration."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number shared by every draftdesk process: the PostgreSQL advisory lock
# that lets one process at a time migrate (the others wait, then find the schema current).
MIGRATION_LOCK_KEY = 0x64726166_74646B31  # "draftdk1"


_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*['\"]?(\w+)['\"]?", re.M)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations, independent of the working directory."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration (idempotent; safe at each start-up, and safe when
    several processes start together on PostgreSQL: they migrate one after the other).

    A database already at the newest migration is left alone without loading Alembic
    (a quarter of a second of imports: an API-only process starts in ≤ 2 s, issue 17)."""
    if head_revision() is not None and _current_revisions(engine) == {head_revision()}:
        return
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        _wait_for_migration_lock(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@cache
def head_revision() -> str | None:
    """The newest migration shipped, read from the migration files (None when the history
    is not one straight line: Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(
            (name, value) for name, value in _REVISION.findall(path.read_text(encoding="utf-8"))
        )
        if "revision" in found:
            revisions.add(found["revision"])
        if found.get("down_revision", "None") != "None":
            parents.add(found["down_revision"])
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def _current_revisions(engine: Engine) -> set[str]:
    """What ``alembic_version`` holds (empty before the first migration)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return {str(row[0]) for row in rows}
    except SQLAlchemyError:
        return set()


def _wait_for_migration_lock(connection: Connection) -> None:
    # Without it, processes started together on a fresh database all create alembic_version
    # and all but one crash (UniqueViolation). The transaction-scoped form of pg_advisory_lock
    # is released by the commit or rollback that ends the migration, so a failed migration
    # never leaves the lock held on a pooled connection. SQLite has one writer anyway.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None before the first one)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
