"""The Slack review desk end to end: signed requests through the real app (Bolt verifying
signatures), Web API calls recorded by the local mock server."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from bot.facts import CheckResult, DraftReply
from bot.settings import Settings
from bot.slack.cards import ACTION_IDS, DETAILS
from bot.slack.details import DETAILS_CALLBACK
from tests.fakes import FakeDrafter
from tests.slack.harness import (
    APPROVER,
    CHANNEL,
    GROUP_MEMBER,
    PUBLIC_URL,
    STRANGER,
    SlackHarness,
    action_values,
    card_text,
    view_submission,
)
from tests.slack.mock_web_api_server import MockSlackWebApi


def test_a_buyer_message_posts_a_short_card_with_the_five_buttons_and_details(
    desk: SlackHarness,
) -> None:
    draft_id, _, _ = desk.new_draft("Where is my parcel? Order 112-3456789-1234567")
    [card] = desk.cards()
    assert card.params["channel"] == CHANNEL and card.answer["ok"]
    assert action_values(card) == {
        action: str(draft_id) for action in (*ACTION_IDS, DETAILS)
    }
    assert len(card.params["blocks"]) <= 6
    shown = card_text(card)
    assert "Maria Lopez" in shown
    assert ">Where is my parcel? Order 112-3456789-1234567" in shown
    assert f"<{PUBLIC_URL}/kb/articles/shipping-times|Shipping times>" in shown
    assert "Confidence 82%" in shown and "0.82" not in shown
    assert "reply due <!date^" in shown  # each agent sees it in their own time zone
    assert "where_is_my_order" not in shown and "UPS" not in shown  # in Details


def test_details_opens_a_modal_with_everything_the_card_leaves_out(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft("Where is my parcel? Order 112-3456789-1234567")
    assert desk.click("draft_details", draft_id, user=STRANGER).status_code == 200
    [opened] = desk.mock.calls("views.open")
    assert opened.answer["ok"], opened.answer  # Slack's limits on modals hold
    assert opened.params["trigger_id"]  # the click's, within its 3 seconds
    modal = opened.params["view"]
    assert modal["callback_id"] == DETAILS_CALLBACK
    assert modal["private_metadata"] == str(draft_id)
    shown = json.dumps(modal, ensure_ascii=False)
    assert "*Order 112-3456789-1234567* · Shipped" in shown and "UPS 1Z999" in shown
    assert "*return: eligible*" in shown and "Within the 30-day return window." in shown
    # The fake drafter's check ids have no label: they still read as words.
    assert "3 passed: figures supported, no marketing, greeting" in shown
    assert "topic: where is my order" in shown and "Confidence 82%" in shown
    # Reading decides nothing and needs no approver.
    assert desk.draft_status(draft_id) == "pending_review"
    assert desk.mock.calls("chat.postEphemeral") == [] and desk.mock.calls("chat.update") == []


def test_approve_asks_slack_to_confirm_first(desk: SlackHarness) -> None:
    desk.new_draft()
    [card] = desk.cards()
    [approve] = [e for b in card.params["blocks"] if b["type"] == "actions"
                 for e in b["elements"] if e["action_id"] == "draft_approve"]
    confirm = approve["confirm"]
    assert confirm["title"]["text"] == "Send this reply to the buyer?"
    assert confirm["text"]["text"].startswith("To Maria Lopez: “Hi Maria, Thank you for")
    assert (confirm["confirm"]["text"], confirm["deny"]["text"]) == ("Send", "Cancel")


def test_approve_from_an_approver_sends_the_reply_and_updates_the_card(
    desk: SlackHarness,
) -> None:
    draft_id, conversation_id, token = desk.new_draft()
    response = desk.click("draft_approve", draft_id)
    assert response.status_code == 200
    assert desk.draft_status(draft_id) == "sent"
    seller = [m for m in desk.buyer_sees(conversation_id, token) if m["role"] == "seller"]
    assert len(seller) == 1 and seller[0]["text"].startswith("Hi Maria")
    [update] = desk.mock.calls("chat.update")
    assert update.params["ts"] == desk.cards()[0].answer["ts"]
    assert update.params["channel"] == CHANNEL
    assert action_values(update) == {}
    assert f"<@{APPROVER}>" in card_text(update) and "Approved and sent" in card_text(update)
    assert "Checks: all passed" in card_text(update)
    assert "reply due" not in card_text(update)
    assert desk.services.workflow.get_draft(draft_id=draft_id).decided_by == f"slack:{APPROVER}"


def test_a_member_of_an_approver_group_may_decide(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    desk.click("draft_no_response", draft_id, user=GROUP_MEMBER)
    assert desk.draft_status(draft_id) == "no_response_needed"


def test_someone_else_is_told_ephemerally_and_nothing_changes(desk: SlackHarness) -> None:
    draft_id, conversation_id, token = desk.new_draft()
    response = desk.click("draft_approve", draft_id, user=STRANGER)
    assert response.status_code == 200
    [note] = desk.mock.calls("chat.postEphemeral")
    assert note.params["user"] == STRANGER and note.params["channel"] == CHANNEL
    assert "Only approvers" in note.params["text"]
    assert desk.draft_status(draft_id) == "pending_review"
    assert desk.mock.calls("chat.update") == []
    assert all(m["role"] != "seller" for m in desk.buyer_sees(conversation_id, token))


def test_edit_opens_a_prefilled_modal_and_its_submission_approves_the_edit(
    desk: SlackHarness,
) -> None:
    draft_id, conversation_id, token = desk.new_draft()
    original = desk.services.workflow.get_draft(draft_id=draft_id).text
    assert desk.click("draft_edit", draft_id).status_code == 200
    [opened] = desk.mock.calls("views.open")
    modal = opened.params["view"]
    assert modal["callback_id"] == "draft_edit_submit"
    assert modal["private_metadata"] == str(draft_id)
    assert modal["blocks"][-1]["element"]["initial_value"] == original
    assert desk.draft_status(draft_id) == "pending_review"  # opening the modal decides nothing

    edited = "Hi Maria,\n\nYour parcel arrives tomorrow.\n\nThe Brightwater Home team"
    response = desk.submit("draft_edit_submit", draft_id, block_id="reply", text=edited)
    assert response.status_code == 200
    assert desk.draft_status(draft_id) == "sent"
    seller = [m["text"] for m in desk.buyer_sees(conversation_id, token) if m["role"] == "seller"]
    assert seller == [edited]
    [update] = desk.mock.calls("chat.update")
    assert "Edited, approved and sent" in card_text(update)
    assert "Your parcel arrives tomorrow." in card_text(update)


def test_an_empty_edit_is_refused_inside_the_modal(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    response = desk.submit("draft_edit_submit", draft_id, block_id="reply", text="   ")
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors"
    assert "reply" in response.json()["errors"]
    assert desk.draft_status(draft_id) == "pending_review"


def test_reject_asks_for_a_reason_and_records_it(desk: SlackHarness) -> None:
    draft_id, conversation_id, token = desk.new_draft()
    desk.click("draft_reject", draft_id)
    [opened] = desk.mock.calls("views.open")
    assert opened.params["view"]["callback_id"] == "draft_reject_submit"

    empty = desk.submit("draft_reject_submit", draft_id, block_id="reason", text="")
    assert empty.json()["response_action"] == "errors"
    assert desk.draft_status(draft_id) == "pending_review"

    desk.submit("draft_reject_submit", draft_id, block_id="reason", text="Wrong order number")
    detail = desk.services.workflow.get_draft(draft_id=draft_id)
    assert detail.status == "rejected"
    assert detail.decision_note == "Wrong order number"
    assert detail.decided_by == f"slack:{APPROVER}"
    assert all(m["role"] != "seller" for m in desk.buyer_sees(conversation_id, token))
    [update] = desk.mock.calls("chat.update")
    assert "Rejected" in card_text(update) and "Wrong order number" in card_text(update)
    assert action_values(update) == {}


def test_escalate_hands_the_draft_to_a_lead(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    desk.click("draft_escalate", draft_id)
    assert desk.draft_status(draft_id) == "escalated"
    [update] = desk.mock.calls("chat.update")
    assert "Escalated to a lead" in card_text(update)
    assert action_values(update) == {}


def test_no_response_needed(desk: SlackHarness) -> None:
    draft_id, conversation_id, token = desk.new_draft("Thanks, all good!")
    desk.click("draft_no_response", draft_id)
    assert desk.draft_status(draft_id) == "no_response_needed"
    assert all(m["role"] != "seller" for m in desk.buyer_sees(conversation_id, token))
    [update] = desk.mock.calls("chat.update")
    assert "No response needed" in card_text(update)


def test_a_second_click_sends_nothing_twice_and_says_why(desk: SlackHarness) -> None:
    draft_id, conversation_id, token = desk.new_draft()
    desk.click("draft_approve", draft_id)
    desk.click("draft_approve", draft_id)
    desk.click("draft_reject", draft_id, user=GROUP_MEMBER)
    seller = [m for m in desk.buyer_sees(conversation_id, token) if m["role"] == "seller"]
    assert len(seller) == 1
    notes = desk.mock.calls("chat.postEphemeral")
    assert [n.params["user"] for n in notes] == [APPROVER, GROUP_MEMBER]
    assert all("already decided" in n.params["text"] for n in notes)
    assert desk.mock.calls("views.open") == []  # no reject modal for a decided draft
    assert len(desk.mock.calls("chat.update")) == 1


def test_a_redelivered_payload_is_applied_once_and_silently(desk: SlackHarness) -> None:
    from tests.slack.harness import block_action

    draft_id, conversation_id, token = desk.new_draft()
    payload = block_action("draft_approve", draft_id, user=APPROVER)
    assert desk.post_payload(payload).status_code == 200
    desk.settle()
    assert desk.post_payload(payload).status_code == 200
    desk.settle()
    seller = [m for m in desk.buyer_sees(conversation_id, token) if m["role"] == "seller"]
    assert len(seller) == 1
    assert desk.mock.calls("chat.postEphemeral") == []
    assert len(desk.mock.calls("chat.update")) == 1


def test_a_redelivered_modal_submission_is_applied_once(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    for _ in range(2):
        desk.submit("draft_reject_submit", draft_id, block_id="reason", text="Off topic",
                    view_id="VSAMEVIEW1")
    events = desk.services.workflow.get_draft(draft_id=draft_id)
    assert events.status == "rejected"
    assert len(desk.mock.calls("chat.update")) == 1


def test_a_modal_fixed_after_an_error_is_applied(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    desk.submit("draft_reject_submit", draft_id, block_id="reason", text=" ", view_id="VFIXED0001")
    assert desk.mock.calls("chat.postEphemeral") == []
    desk.submit("draft_reject_submit", draft_id, block_id="reason", text="Too vague",
                view_id="VFIXED0001")
    assert desk.draft_status(draft_id) == "rejected"


def test_a_blocking_check_stops_approval_and_an_edit_fixes_it(desk: SlackHarness) -> None:
    # The fake drafter quotes the buyer, so "coupon" fails its blocking no_marketing check.
    draft_id, conversation_id, token = desk.new_draft("Do you have a coupon for me?")
    [card] = desk.cards()
    assert ":no_entry: *no marketing* (blocks Approve): mentions coupon" in card_text(card)
    assert "`no_marketing`" not in card_text(card)
    desk.click("draft_approve", draft_id)
    assert desk.draft_status(draft_id) == "pending_review"
    [note] = desk.mock.calls("chat.postEphemeral")
    assert "*no marketing*" in note.params["text"] and "Edit" in note.params["text"]

    still_bad = "Hi Maria, here is a coupon."
    desk.submit("draft_edit_submit", draft_id, block_id="reply", text=still_bad)
    assert desk.draft_status(draft_id) == "pending_review"
    kept = desk.mock.calls("chat.postEphemeral")[-1].params["text"]
    assert ">Hi Maria, here is a coupon." in kept  # the edit is not lost

    fixed = "Hi Maria, we do not run promotions, but your order ships today."
    desk.submit("draft_edit_submit", draft_id, block_id="reply", text=fixed)
    assert desk.draft_status(draft_id) == "sent"
    assert [m["text"] for m in desk.buyer_sees(conversation_id, token)
            if m["role"] == "seller"] == [fixed]


def test_a_draft_too_long_for_slack_is_edited_in_the_console(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft("x" * 3100)
    desk.click("draft_edit", draft_id)
    assert desk.mock.calls("views.open") == []
    [note] = desk.mock.calls("chat.postEphemeral")
    assert "too long to edit in Slack" in note.params["text"]
    assert f"{PUBLIC_URL}/console" in note.params["text"]


class GatedDrafter(FakeDrafter):
    """Re-checks of edited text wait for the test to open the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()

    def recheck(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        self.entered.set()
        assert self.gate.wait(30), "the test never opened the gate"
        return super().recheck(text, draft=draft, buyer_messages=buyer_messages)


def test_slack_gets_its_answer_before_the_work_is_done(
    settings: Settings, mock_slack: MockSlackWebApi
) -> None:
    drafter = GatedDrafter()
    with SlackHarness.running(settings, mock_slack, drafter=drafter) as desk:
        draft_id, _, _ = desk.new_draft()
        payload = view_submission("draft_edit_submit", draft_id, user=APPROVER,
                                  block_id="reply", text="Hi Maria, it ships today.")
        response = desk.post_payload(payload)  # returns while the re-check is held
        assert response.status_code == 200 and response.content == b""
        assert drafter.entered.wait(10)
        assert desk.draft_status(draft_id) == "pending_review"
        drafter.gate.set()
        desk.settle()
        assert desk.draft_status(draft_id) == "sent"


def test_a_lead_override_shows_on_the_card_with_who_and_why(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft("Do you have a coupon for me?")
    reason = "The buyer asked us for the coupon code by phone."
    desk.services.workflow.approve(
        draft_id=draft_id, actor="lead@example.com", override_reason=reason, may_override=True
    )
    desk.settle()
    [update] = desk.mock.calls("chat.update")
    shown = card_text(update)
    assert ("Checks: no marketing failed, overridden by lead@example.com: "
            "The buyer asked us for the coupon code by phone.") in shown
    assert "all passed" not in shown and action_values(update) == {}
    assert "reply due" not in shown
