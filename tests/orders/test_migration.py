"""Migration 0013 creates exactly the order-sync table the model describes, and can be undone."""

from __future__ import annotations

from pathlib import Path

from tests.migration_support import assert_migration_matches_the_models


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    assert_migration_matches_the_models(
        tmp_path, revision="0013", previous="0012", tables={"order_sync_state"}
    )
