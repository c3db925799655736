"""The newest migration is read from the migration files, without Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from bot.database import MIGRATIONS_DIR, head_revision, upgrade_to_head


def test_the_head_is_the_newest_migration_file() -> None:
    newest = max(path.name for path in (MIGRATIONS_DIR / "versions").glob("0*.py"))
    assert head_revision() == newest.split("_", 1)[0]


def test_a_new_database_is_migrated_and_a_current_one_left_alone(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade_to_head(engine)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == head_revision()
    upgrade_to_head(engine)  # current: nothing to do, nothing fails
    engine.dispose()
