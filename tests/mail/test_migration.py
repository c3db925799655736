"""Migrations 0010–0016 create exactly the mail tables the models describe (0014 adds the
outbox's attachments, 0016 the relay address's blind index), and can be undone."""

from __future__ import annotations

from pathlib import Path

from tests.migration_support import assert_migration_matches_the_models


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    assert_migration_matches_the_models(
        tmp_path, revision="0016", previous="0009",
        tables={"mail_threads", "mail_inbound", "mail_outbox", "mail_cursors"},
    )
