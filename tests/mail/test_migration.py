"""Migration 0010 creates exactly the mail tables the models describe, and can be undone."""

from __future__ import annotations

from pathlib import Path

from tests.migration_support import assert_migration_matches_the_models


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    assert_migration_matches_the_models(
        tmp_path, revision="0010", previous="0009",
        tables={"mail_threads", "mail_inbound", "mail_outbox", "mail_cursors"},
    )
