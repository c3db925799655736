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


def test_env_file_comes_from_the_data_dir_not_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DRAFTDESK_ENV_FILE")  # the test-wide "no .env" switch
    (tmp_path / ".env").write_text("DRAFTDESK_SELLER_NAME=From the working directory\n")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / ".env").write_text("DRAFTDESK_SELLER_NAME=From the data dir\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().seller_name == "Brightwater Home"  # ./var/.env does not exist
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(data_dir))
    assert Settings().seller_name == "From the data dir"


def test_env_file_can_be_named_explicitly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    named = tmp_path / "draftdesk.env"
    named.write_text("DRAFTDESK_SELLER_NAME=From the named file\nSLACK_BOT_TOKEN=xoxb-file\n")
    monkeypatch.setenv("DRAFTDESK_ENV_FILE", str(named))
    settings = Settings()
    assert settings.seller_name == "From the named file"
    assert settings.slack_bot_token is not None
    monkeypatch.setenv("DRAFTDESK_SELLER_NAME", "From the environment")
    assert Settings().seller_name == "From the environment"  # the environment still wins
