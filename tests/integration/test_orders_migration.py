"""Migration 0003 creates exactly the tables the models describe, and can be undone."""

from __future__ import annotations

from pathlib import Path

from tests.migration_support import assert_migration_matches_the_models


def test_migration_matches_the_models(tmp_path: Path) -> None:
    assert_migration_matches_the_models(
        tmp_path, revision="0003", previous="0002", tables={"orders", "order_items"}
    )
