"""Settings read from the environment as a person would write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings


def test_comma_separated_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTDESK_WIDGET_ORIGINS", "https://shop.example, https://b.example")
    monkeypatch.setenv("DRAFTDESK_ALLOWED_LINK_DOMAINS", "amazon.com")
    monkeypatch.setenv("DRAFTDESK_ALLOWED_PHONE_NUMBERS", "+1 800 555 0100,+44 20 7946 0000")
    monkeypatch.setenv("DRAFTDESK_SLACK_APPROVERS", "U123,S456")
    monkeypatch.setenv("DRAFTDESK_SLACK_REMINDER_HOURS", "6, 18")
    settings = Settings()
    assert settings.widget_origins == ["https://shop.example", "https://b.example"]
    assert settings.allowed_link_domains == ["amazon.com"]
    assert settings.allowed_phone_numbers == ["+1 800 555 0100", "+44 20 7946 0000"]
    assert settings.slack_approvers == ["U123", "S456"]
    assert settings.slack_reminder_hours == [6.0, 18.0]


def test_slack_tokens_use_slacks_own_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "shh")
    settings = Settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-test"


def test_database_defaults_to_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/draftdesk.sqlite3"
    assert Settings(database_url="postgresql+psycopg://x@h/db").resolved_database_url.startswith(
        "postgresql"
    )


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValueError, match="DRAFTDESK_SECRET_KEY"):
        Settings(environment="production")
    Settings(environment="production", secret_key="k" * 40)
