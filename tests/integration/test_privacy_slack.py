"""Slack cards we posted are redacted by ``chat.update`` when their buyer is erased, through
the desk's Slack client, against the local mock of Slack's Web API (tests/slack)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.privacy.slack_cards import REDACTED_TEXT, RedactSlackCard
from bot.privacy.wiring import build_privacy_desk
from bot.settings import Settings
from bot.slack.client import SlackWebApi, build_web_client
from tests.slack.harness import SlackHarness, slack_settings
from tests.slack.mock_web_api_server import MockSlackWebApi


@pytest.fixture
def mock_slack() -> Iterator[MockSlackWebApi]:
    server = MockSlackWebApi().start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, mock_slack: MockSlackWebApi, workflow_db_url: str) -> Settings:
    return slack_settings(tmp_path, api_url=mock_slack.url, database_url=workflow_db_url)


@pytest.fixture
def desk(settings: Settings, mock_slack: MockSlackWebApi) -> Iterator[SlackHarness]:
    with SlackHarness.running(settings, mock_slack) as harness:
        yield harness


def test_erasing_a_buyer_replaces_their_review_card_with_a_redacted_one(
    desk: SlackHarness, settings: Settings
) -> None:
    _, conversation_id, _ = desk.new_draft("Where is my parcel? Order 112-3456789-1234567")
    [card] = desk.cards()
    assert "Maria Lopez" in json.dumps(card.params)
    privacy = build_privacy_desk(
        settings,
        session_factory=desk.services.session_factory,
        resync_index=desk.services.resync_index,
    )

    report = privacy.erase(conversation_id, actor="admin@example.com")

    assert report.slack_cards_redacted == 1 and report.slack_cards_failed == 0
    [update] = desk.mock.calls("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (
        card.params["channel"],
        card.answer["ts"],
    )
    assert update.params["text"] == REDACTED_TEXT
    shown = json.dumps(update.params)
    assert "Maria" not in shown and "112-3456789-1234567" not in shown


def test_a_slack_outage_is_reported_and_the_rows_are_still_erased(
    desk: SlackHarness, settings: Settings
) -> None:
    _, conversation_id, _ = desk.new_draft()
    desk.mock.fail("chat.update", status=500, times=2)  # both attempts
    privacy = build_privacy_desk(
        settings,
        session_factory=desk.services.session_factory,
        resync_index=desk.services.resync_index,
    )
    privacy.redact_card = _no_wait_redactor(settings)

    report = privacy.erase(conversation_id, actor="admin@example.com")

    assert report.slack_cards_failed == 1 and report.removed["messages"] >= 1
    assert privacy.export(conversation_id)["conversations"][0]["buyer_name"] is None


def _no_wait_redactor(settings: Settings) -> RedactSlackCard:
    """The real redactor with a client that does not sleep between retries."""
    token = settings.slack_bot_token.get_secret_value()  # type: ignore[union-attr]
    client = build_web_client(token=token, base_url=settings.slack_api_url)
    return RedactSlackCard(SlackWebApi(client=client, sleep=lambda _: None, max_attempts=2))
