"""Migrations 0010–0014 create exactly the mail tables the models describe (0014 adds the
outbox's attachments), and can be undone."""

from __future__ import annotations

from pathlib import Path

from tests.migration_support import assert_migration_matches_the_models


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    assert_migration_matches_the_models(
        tmp_path, revision="0014", previous="0009",
        tables={"mail_threads", "mail_inbound", "mail_outbox", "mail_cursors"},
    )
