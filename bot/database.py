"""Create the engine and bring the schema to the newest migration."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number shared by every draftdesk process: the PostgreSQL advisory lock
# that lets one process at a time migrate (the others wait, then find the schema current).
MIGRATION_LOCK_KEY = 0x64726166_74646B31  # "draftdk1"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration (idempotent; safe at each start-up, and safe when
    several processes start together on PostgreSQL: they migrate one after the other)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        _wait_for_migration_lock(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


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
