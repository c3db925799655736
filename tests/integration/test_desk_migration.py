"""Migration 0018 creates exactly the agent's-desk tables the models describe (claims and
who is viewing a draft, issue 18), and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from bot.database import alembic_config
from tests.migration_support import assert_migration_matches_the_models


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    config = alembic_config(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    previous = ScriptDirectory.from_config(config).get_revision("0017").down_revision
    assert isinstance(previous, str)
    assert_migration_matches_the_models(
        tmp_path, revision="0017", previous=previous,
        tables={"draft_viewers", "conversation_assignments", "canned_replies"},
    )
