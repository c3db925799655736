"""Slack misbehaving: 429 with Retry-After, 5xx, bad and stale signatures; the console and
the database stay the source of truth throughout."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.slack import repository as slack_repo
from knowledge_base.db import transaction, utcnow
from tests.slack.harness import APPROVER, SlackHarness, action_values, block_action


def test_a_bad_signature_is_refused_with_401(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    payload = block_action("draft_approve", draft_id, user=APPROVER)
    response = desk.post_payload(payload, secret="not-the-signing-secret")
    desk.settle()
    assert response.status_code == 401
    assert desk.draft_status(draft_id) == "pending_review"
    assert desk.mock.calls("chat.update") == []


def test_a_stale_timestamp_is_refused_with_401(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    payload = block_action("draft_approve", draft_id, user=APPROVER)
    response = desk.post_payload(payload, timestamp=int(time.time()) - 10 * 60)
    desk.settle()
    assert response.status_code == 401
    assert desk.draft_status(draft_id) == "pending_review"


def test_429_on_post_waits_and_the_card_arrives(desk: SlackHarness) -> None:
    desk.mock.fail("chat.postMessage", status=429, retry_after=17)
    desk.new_draft()
    assert [c.status for c in desk.mock.attempts("chat.postMessage")] == [429, 200]
    assert desk.sleep.waits == [17.0]
    assert len(desk.cards()) == 1


def test_500_on_post_is_retried(desk: SlackHarness) -> None:
    desk.mock.fail("chat.postMessage", status=500, times=2)
    draft_id, _, _ = desk.new_draft()
    assert [c.status for c in desk.mock.attempts("chat.postMessage")] == [500, 500, 200]
    assert action_values(desk.cards()[0])["draft_approve"] == str(draft_id)


def test_a_long_outage_leaves_the_draft_decidable_and_the_card_is_posted_later(
    desk: SlackHarness,
) -> None:
    desk.mock.fail("chat.postMessage", status=503, times=5)
    draft_id, _, _ = desk.new_draft()
    assert desk.cards() == []
    assert desk.draft_status(draft_id) == "pending_review"  # the console still has it
    with transaction(desk.services.session_factory) as session:
        card = slack_repo.get_card(session, draft_id=draft_id)
        assert card is not None and card.ts is None and card.next_attempt_at is not None
        retry_at = card.next_attempt_at
    desk.desk.run_due_work(retry_at - timedelta(seconds=1))
    assert desk.cards() == []  # not before its retry time
    desk.desk.run_due_work(retry_at + timedelta(seconds=1))
    [card_call] = desk.cards()
    assert action_values(card_call)["draft_approve"] == str(draft_id)


def test_a_draft_decided_in_the_console_during_an_outage_gets_no_card(
    desk: SlackHarness,
) -> None:
    desk.mock.fail("chat.postMessage", status=500, times=5)
    draft_id, _, _ = desk.new_draft()
    desk.services.workflow.approve(draft_id=draft_id, actor="agent@example.com")
    desk.settle()
    desk.desk.run_due_work(utcnow() + timedelta(hours=1))
    assert desk.cards() == []


def test_429_on_update_is_retried(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    desk.mock.fail("chat.update", status=429, retry_after=3)
    desk.click("draft_approve", draft_id)
    assert [c.status for c in desk.mock.attempts("chat.update")] == [429, 200]
    assert desk.sleep.waits == [3.0]
    assert desk.draft_status(draft_id) == "sent"


def test_500_on_update_never_loses_the_decision(desk: SlackHarness) -> None:
    draft_id, conversation_id, token = desk.new_draft()
    desk.mock.fail("chat.update", status=500, times=5)
    desk.click("draft_approve", draft_id)
    assert desk.draft_status(draft_id) == "sent"  # the decision stands whatever Slack does
    assert [m["role"] for m in desk.buyer_sees(conversation_id, token)].count("seller") == 1
    assert desk.mock.calls("chat.update") == []
    desk.desk.run_due_work(utcnow() + timedelta(hours=1))
    [update] = desk.mock.calls("chat.update")
    assert action_values(update) == {}
    assert "Approved and sent" in str(update.params["blocks"])
    assert [m["role"] for m in desk.buyer_sees(conversation_id, token)].count("seller") == 1


def test_a_console_decision_updates_the_card(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    desk.services.workflow.reject(draft_id=draft_id, actor="lead@example.com",
                                  reason="needs a refund offer")
    desk.settle()
    [update] = desk.mock.calls("chat.update")
    assert "lead@example.com" in str(update.params["blocks"])
    assert action_values(update) == {}


def test_a_decision_recorded_before_a_crash_is_applied_later(desk: SlackHarness) -> None:
    draft_id, conversation_id, token = desk.new_draft()
    created = utcnow()
    with transaction(desk.services.session_factory) as session:
        slack_repo.record_action(
            session, key="click:crashed", draft_id=draft_id, user_id=APPROVER,
            decision="approve", text=None, channel="CREVIEW001", now=created,
        )
    desk.desk.run_due_work(created + timedelta(minutes=1))
    assert desk.draft_status(draft_id) == "pending_review"  # too recent to be stalled
    desk.desk.run_due_work(created + timedelta(minutes=10))
    desk.settle()
    assert desk.draft_status(draft_id) == "sent"
    assert [m["role"] for m in desk.buyer_sees(conversation_id, token)].count("seller") == 1
    desk.desk.run_due_work(created + timedelta(minutes=20))
    assert [m["role"] for m in desk.buyer_sees(conversation_id, token)].count("seller") == 1
