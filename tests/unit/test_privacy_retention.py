"""The retention period: configurable per seller, never longer than 30 days."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.privacy.errors import RetentionTooLong
from bot.privacy.retention import RetentionPolicy
from bot.settings import Settings


def test_the_period_defaults_to_30_days_and_may_be_shorter() -> None:
    assert Settings().retention_days == 30
    assert Settings(retention_days=7).retention_days == 7
    assert RetentionPolicy(days=7).period.days == 7


@pytest.mark.parametrize("days", [31, 365, 0])
def test_a_period_outside_1_to_30_days_is_refused(days: int) -> None:
    with pytest.raises(RetentionTooLong):
        RetentionPolicy(days=days)
    with pytest.raises(ValueError):
        Settings(retention_days=days)


def test_a_too_long_setting_is_one_clear_line_on_the_command_line(tmp_path: Path) -> None:
    env = {"DRAFTDESK_DATA_DIR": str(tmp_path / "data"), "DRAFTDESK_RETENTION_DAYS": "45"}
    result = CliRunner().invoke(app, ["privacy", "purge", "--dry-run"], env=env)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: invalid settings: retention_days: DRAFTDESK_RETENTION_DAYS may be at most 30 "
        "(Amazon's Data Protection Policy: buyer data goes 30 days after delivery), not 45"
    ]
