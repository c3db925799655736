"""Slack is optional: off without tokens, loud when half configured, never fatal to the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack.errors import SlackNotConfigured
from bot.web.app import create_app
from bot.worker import DraftingWorker
from tests import with_fake_services
from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex
from tests.slack.harness import CHANNEL, SIGNING_SECRET, action_values, slack_settings
from tests.slack.mock_web_api_server import MockSlackWebApi


def _services(settings: Settings) -> Services:
    return build_services(
        settings, drafter=FakeDrafter(), embedder=FakeEmbedder(), index=InMemoryIndex()
    )


@pytest.mark.parametrize("overrides", [
    {"slack_mode": "off"},
    {"slack_mode": "http", "slack_bot_token": None},
])
def test_without_slack_nothing_slack_starts(
    tmp_path: Path, mock_slack: MockSlackWebApi, overrides: dict[str, object]
) -> None:
    settings = slack_settings(tmp_path, api_url=mock_slack.url, **overrides)
    services = _services(settings)
    with TestClient(create_app(settings, services=services)) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/slack/events", content=b"payload={}").status_code in (404, 405)
        assert not hasattr(client.app.state, "slack_desk")  # type: ignore[attr-defined]
    services.close()
    assert mock_slack.calls(ok_only=False) == []


@pytest.mark.parametrize(("overrides", "missing"), [
    ({"slack_signing_secret": None}, "SLACK_SIGNING_SECRET"),
    ({"slack_review_channel": None}, "DRAFTDESK_SLACK_REVIEW_CHANNEL"),
    ({"slack_mode": "socket"}, "SLACK_APP_TOKEN"),
])
def test_half_configured_slack_is_refused_at_start(
    tmp_path: Path, overrides: dict[str, object], missing: str
) -> None:
    settings = slack_settings(tmp_path, api_url="http://127.0.0.1:9/api/", **overrides)
    with pytest.raises(SlackNotConfigured, match=missing):
        create_app(settings)


def test_socket_mode_keeps_the_app_up_while_slack_is_unreachable(
    tmp_path: Path, mock_slack: MockSlackWebApi
) -> None:
    settings = slack_settings(tmp_path, api_url=mock_slack.url, slack_mode="socket",
                              slack_app_token="xapp-test", slack_signing_secret=None)
    services = _services(settings)
    with TestClient(create_app(settings, services=services)) as client:
        assert client.get("/healthz").status_code == 200
        # The mock does not know apps.connections.open: the desk keeps trying, app stays up.
        attempt = mock_slack.wait_for_attempt("apps.connections.open")
        assert attempt.token == "xapp-test"
        assert client.post("/slack/events", content=b"x").status_code in (404, 405)
    services.close()


def test_cli_slack_refuses_when_slack_is_off() -> None:
    result = CliRunner().invoke(cli, ["slack"])
    assert result.exit_code == 1
    assert "Slack is off" in result.output


def test_cli_slack_once_posts_the_cards_owed(
    tmp_path: Path, mock_slack: MockSlackWebApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = slack_settings(tmp_path, api_url=mock_slack.url)
    services = build_services(settings, drafter=FakeDrafter(), embedder=FakeEmbedder(),
                              index=InMemoryIndex())
    conversation = services.workflow.start_conversation(buyer_name="Lea")
    services.workflow.receive_buyer_message(conversation_id=conversation.id, text="Hello?")
    DraftingWorker(workflow=services.workflow).run_until_idle()  # no desk: no card yet
    [draft] = services.workflow.list_drafts()
    services.close()
    assert mock_slack.calls() == []

    with_fake_services.install(monkeypatch)
    env = {
        "DRAFTDESK_ENVIRONMENT": "test",
        "DRAFTDESK_DATA_DIR": str(settings.data_dir),
        "DRAFTDESK_SLACK_MODE": "http",
        "SLACK_BOT_TOKEN": "xoxb-cli",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DRAFTDESK_SLACK_REVIEW_CHANNEL": CHANNEL,
        "DRAFTDESK_SLACK_API_URL": mock_slack.url,
    }
    result = CliRunner().invoke(cli, ["slack", "--once"], env=env)
    assert result.exit_code == 0, result.output
    [card] = [c for c in mock_slack.calls("chat.postMessage") if c.params.get("blocks")]
    assert card.token == "xoxb-cli"
    assert set(action_values(card).values()) == {str(draft.id)}
