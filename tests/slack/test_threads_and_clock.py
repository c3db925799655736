"""Later buyer messages as thread replies, reminders at 12 h and 20 h, the daily summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.slack.cards import ACTION_IDS, DETAILS
from bot.slack.schedule import reminder_due
from tests.slack.harness import APPROVER, CHANNEL, GROUP, SlackHarness, action_values, card_text


def test_a_later_buyer_message_arrives_as_a_thread_reply_under_the_card(
    desk: SlackHarness,
) -> None:
    first_id, conversation_id, token = desk.new_draft("Where is my parcel?")
    desk.buyer_writes(conversation_id, token, "Also, can I change the address?")
    first, second = desk.cards()
    assert "thread_ts" not in first.params or not first.params["thread_ts"]
    assert second.params["thread_ts"] == first.answer["ts"]
    [newer] = [d for d in desk.services.workflow.list_drafts()
               if d.conversation_id == conversation_id]
    assert set(action_values(second)) == {*ACTION_IDS, DETAILS}
    assert set(action_values(second).values()) == {str(newer.id)}
    assert "change the address" in card_text(second)
    # The first card now says it was superseded, without buttons.
    [update] = desk.mock.calls("chat.update")
    assert update.params["ts"] == first.answer["ts"]
    assert "Superseded" in card_text(update) and action_values(update) == {}
    assert desk.draft_status(first_id) == "superseded"
    # A third draft still replies in the first card's thread.
    desk.buyer_writes(conversation_id, token, "Hello?")
    assert desk.cards()[2].params["thread_ts"] == first.answer["ts"]


def test_reminder_marks() -> None:
    due = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)  # the buyer wrote at 2026-01-01 12:00
    hours = (12.0, 20.0)

    def at(hour: float, sent: tuple[float, ...] = ()) -> float | None:
        now = due - timedelta(hours=24) + timedelta(hours=hour)
        return reminder_due(due_at=due, now=now, deadline_hours=24, hours=hours,
                            already_sent=sent)

    assert at(11.9) is None
    assert at(12.0) == 12.0
    assert at(13, sent=(12.0,)) is None
    assert at(20.5, sent=(12.0,)) == 20.0
    assert at(21, sent=()) == 20.0  # after downtime only the latest mark is worth a message
    assert at(23, sent=(12.0, 20.0)) is None


def test_reminders_at_12_and_20_hours_mention_the_approvers_in_the_thread(
    desk: SlackHarness,
) -> None:
    draft_id, _, _ = desk.new_draft()
    [card] = desk.cards()
    due = desk.services.workflow.get_draft(draft_id=draft_id).due_at
    started = due - timedelta(hours=24)

    def reminders() -> list[str]:
        return [c.params["text"] for c in desk.mock.calls("chat.postMessage")
                if c.params.get("thread_ts") == card.answer["ts"]]

    desk.desk.run_due_work(started + timedelta(hours=11, minutes=59))
    assert reminders() == []
    desk.desk.run_due_work(started + timedelta(hours=12, minutes=1))
    desk.desk.run_due_work(started + timedelta(hours=12, minutes=30))
    [first] = reminders()
    assert f"<@{APPROVER}>" in first and f"<!subteam^{GROUP}>" in first
    assert "11 h 59 min left" in first
    desk.desk.run_due_work(started + timedelta(hours=20, minutes=1))
    assert len(reminders()) == 2 and "3 h 59 min left" in reminders()[1]
    desk.desk.run_due_work(started + timedelta(hours=22))
    assert len(reminders()) == 2


def test_decided_drafts_get_no_reminder(desk: SlackHarness) -> None:
    draft_id, _, _ = desk.new_draft()
    desk.click("draft_approve", draft_id)
    due = desk.services.workflow.get_draft(draft_id=draft_id).due_at
    [card] = desk.cards()
    desk.desk.run_due_work(due - timedelta(hours=3))
    # The daily summary may fall in this window (it depends on the hour the test runs);
    # what matters is that nothing is posted in the decided draft's thread.
    in_thread = [c for c in desk.mock.calls("chat.postMessage")
                 if c.params.get("thread_ts") == card.answer["ts"]]
    assert in_thread == []


def test_the_daily_summary_is_posted_once_a_day(desk: SlackHarness) -> None:
    approved, _, _ = desk.new_draft("Where is my parcel?", name="Ann")
    edited, _, _ = desk.new_draft("Is it waterproof?", name="Bob")
    rejected, _, _ = desk.new_draft("Do you ship to Mars?", name="Cy")
    waiting, _, _ = desk.new_draft("Can I return it?", name="Di")
    desk.click("draft_approve", approved)
    desk.submit("draft_edit_submit", edited, block_id="reply", text="Hi Bob, yes it is.")
    desk.submit("draft_reject_submit", rejected, block_id="reason", text="off topic")
    today = datetime.now(UTC)

    def summaries() -> list[str]:
        return [c.params["text"] for c in desk.mock.calls("chat.postMessage")
                if "Daily review summary" in c.params["text"]]

    desk.desk.run_due_work(today.replace(hour=8, minute=59))
    assert summaries() == []
    desk.desk.run_due_work(today.replace(hour=9, minute=0) + timedelta(hours=1))
    desk.desk.run_due_work(today.replace(hour=9, minute=0) + timedelta(hours=2))
    [summary] = summaries()
    assert "Pending review: *1*" in summary and f"draft #{waiting}" in summary
    assert "Approved unedited: *1*" in summary
    assert "Edited, then approved: *1*" in summary
    assert "Rejected: *1*" in summary
    assert [c.params["channel"] for c in desk.mock.calls("chat.postMessage")
            if "Daily review summary" in c.params["text"]] == [CHANNEL]


def test_a_summary_that_failed_is_tried_again(desk: SlackHarness) -> None:
    desk.mock.fail("chat.postMessage", status=500, times=5)
    noon = datetime.now(UTC).replace(hour=12, minute=0)
    desk.desk.run_due_work(noon)
    assert desk.mock.calls("chat.postMessage") == []
    desk.desk.run_due_work(noon + timedelta(minutes=1))
    assert len(desk.mock.calls("chat.postMessage")) == 1
