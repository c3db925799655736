"""Migration 0015 creates the privacy audit table as the model describes it, and drops it."""

from __future__ import annotations

from pathlib import Path

from tests.migration_support import assert_migration_matches_the_models


def test_migration_0015_matches_the_model_and_downgrades(tmp_path: Path) -> None:
    assert_migration_matches_the_models(
        tmp_path, revision="0015", previous="0014", tables={"privacy_erasures"}
    )
