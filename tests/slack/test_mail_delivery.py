"""A reply the mail server refused, in Slack (issue 14): the draft's card shows the refusal
with "Retry sending"; an approver's click (a signed request) queues it again with the CLI's
retry, and the card follows it to delivery. Real SMTP server, mock Web API, both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.conversations.models import ReviewEvent
from bot.mail.models import OutboundMail
from bot.settings import Settings
from bot.slack.cards import ACTION_IDS, RETRY_SENDING
from knowledge_base.clock import utcnow
from tests.mail.servers import SmtpServer
from tests.slack.harness import (
    APPROVER,
    STRANGER,
    SlackHarness,
    action_values,
    block_action,
    card_text,
    slack_settings,
)
from tests.slack.mock_web_api_server import MockSlackWebApi

MAIL = Path(__file__).resolve().parents[1] / "mail" / "fixtures"
SELLER_FROM = "orders@brightwater.example"
RELAY = "s1g2n3a4t5@marketplace.amazon.com"  # the buyer of 09_signature.eml
REFUSAL = "550 5.7.1 Sender address rejected: not an approved sender"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(
    tmp_path: Path, mock_slack: MockSlackWebApi, workflow_db_url: str, smtp: SmtpServer
) -> Settings:
    """The Slack test settings, with replies to mail conversations sent by the real SMTP
    server (the test runs the sender and the scheduler's pass itself)."""
    return slack_settings(
        tmp_path,
        api_url=mock_slack.url,
        database_url=workflow_db_url,
        mail_smtp_url=smtp.url,
        mail_from=SELLER_FROM,
        mail_in_process=False,
    )


def _outbox(desk: SlackHarness) -> OutboundMail:
    with desk.services.session_factory() as session:
        return session.execute(select(OutboundMail)).scalar_one()


def _updates(desk: SlackHarness) -> list[object]:
    return list(desk.mock.calls("chat.update"))


def test_a_refused_reply_shows_on_its_card_and_retry_sending_in_slack_sends_it_once(
    desk: SlackHarness, smtp: SmtpServer
) -> None:
    channel = desk.services.mail_channel
    assert channel is not None and channel.sender is not None
    channel.store((MAIL / "09_signature.eml").read_bytes(), "test")
    desk.worker.run_until_idle()
    desk.settle()
    [card] = desk.cards()
    draft_id = int(action_values(card)[ACTION_IDS[0]])
    desk.click("draft_approve", draft_id)
    smtp.answer_data = REFUSAL
    assert channel.sender.send_due() == 0
    assert len(_updates(desk)) == 1  # "Approved and sent": nobody knows of the refusal yet

    # The scheduler's pass shows the refusal on the card, once.
    desk.desk.run_due_work(utcnow())
    desk.settle()
    updates = desk.mock.calls("chat.update")
    assert len(updates) == 2
    failed = updates[-1]
    assert failed.params["ts"] == card.answer["ts"]
    assert "Not delivered by e-mail" in card_text(failed) and REFUSAL in card_text(failed)
    assert action_values(failed) == {RETRY_SENDING: str(draft_id)}
    assert "NOT DELIVERED" in failed.params["text"]
    desk.desk.run_due_work(utcnow())
    desk.settle()
    assert len(desk.mock.calls("chat.update")) == 2

    # Someone who is not an approver: told so, nothing queued.
    desk.click(RETRY_SENDING, draft_id, user=STRANGER)
    [note] = desk.mock.calls("chat.postEphemeral")
    assert note.params["user"] == STRANGER and "Only approvers" in note.params["text"]
    assert _outbox(desk).status == "failed"

    # An approver's click, delivered twice by Slack: queued again once.
    smtp.answer_data = None
    click = block_action(RETRY_SENDING, draft_id, user=APPROVER)
    assert desk.post_payload(click).status_code == 200
    desk.settle()
    assert desk.post_payload(click).status_code == 200
    desk.settle()
    row = _outbox(desk)
    assert row.status == "pending" and row.attempts == 0
    with desk.services.session_factory() as session:
        retries = (
            session.execute(
                select(ReviewEvent.actor).where(ReviewEvent.action == "delivery_retried")
            )
            .scalars()
            .all()
        )
    assert retries == [f"slack:{APPROVER}"]
    waiting = desk.mock.calls("chat.update")[-1]
    assert "Sending again by e-mail" in card_text(waiting)
    assert f"<@{APPROVER}>" in card_text(waiting) and action_values(waiting) == {}

    assert channel.sender.send_due() == 1
    refused, delivered = smtp.to(RELAY)
    assert refused.message["Message-ID"] == delivered.message["Message-ID"]
    desk.desk.run_due_work(utcnow())
    desk.settle()
    done = desk.mock.calls("chat.update")[-1]
    assert "Delivered by e-mail" in card_text(done) and "250" in card_text(done)
    assert "Not delivered" not in card_text(done) and action_values(done) == {}

    # Clicked again on an old card: nothing to send again, and the approver is told.
    desk.click(RETRY_SENDING, draft_id)
    told = desk.mock.calls("chat.postEphemeral")[-1]
    assert told.params["user"] == APPROVER and "nothing to send again" in told.params["text"]
    assert channel.sender.send_due() == 0 and len(smtp.to(RELAY)) == 2


def test_a_reply_retried_in_the_console_updates_the_card_on_the_next_pass(
    desk: SlackHarness, smtp: SmtpServer
) -> None:
    channel = desk.services.mail_channel
    assert channel is not None and channel.sender is not None
    channel.store((MAIL / "09_signature.eml").read_bytes(), "test")
    desk.worker.run_until_idle()
    desk.settle()
    draft_id = int(action_values(desk.cards()[0])[ACTION_IDS[0]])
    desk.click("draft_approve", draft_id)
    smtp.answer_data = REFUSAL
    channel.sender.send_due()
    desk.desk.run_due_work(utcnow())
    desk.settle()
    assert action_values(desk.mock.calls("chat.update")[-1]) == {RETRY_SENDING: str(draft_id)}

    outcome = channel.retry_sending(actor="agent@example.com", draft_id=draft_id)
    assert outcome.queued
    desk.desk.run_due_work(utcnow())
    desk.settle()
    last = desk.mock.calls("chat.update")[-1]
    assert "Sending again by e-mail" in card_text(last) and action_values(last) == {}
