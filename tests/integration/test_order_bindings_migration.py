"""Migration 0011 creates exactly the order-binding tables the models describe, and can be
undone."""

from __future__ import annotations

from pathlib import Path

from tests.migration_support import assert_migration_matches_the_models


def test_migration_matches_the_models_and_downgrades(tmp_path: Path) -> None:
    assert_migration_matches_the_models(
        tmp_path, revision="0011", previous="0010",
        tables={"order_bindings", "order_verification_attempts"},
    )
