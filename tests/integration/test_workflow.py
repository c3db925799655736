"""Workflow invariants (ARCHITECTURE §2) on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.conversations.errors import (
    BlockedByChecks,
    ConversationNotFound,
    DraftAlreadyDecided,
    DraftEscalated,
    DraftSuperseded,
    InvalidDecision,
    InvalidMessage,
    NothingToAnswer,
    OverrideNotAllowed,
)
from bot.conversations.models import Draft, Message, ReviewEvent
from bot.conversations.service import Workflow
from bot.conversations.states import DraftStatus, MessageStatus
from knowledge_base.models import AuditLog
from tests.fakes import FakeDrafter, RecordingEvents, RecordingNotifier


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def wf(workflow_services: Any, fake_drafter: FakeDrafter, events: RecordingEvents,
       notifier: RecordingNotifier) -> Workflow:
    """A workflow whose events and notifications are recorded."""
    return Workflow(session_factory=workflow_services.session_factory, drafter=fake_drafter,
                    events=events, notifiers=[notifier])


def _drain(wf: Workflow) -> int:
    from bot.worker import DraftingWorker

    return DraftingWorker(workflow=wf).run_until_idle()


def _messages(wf: Workflow, conversation_id: str) -> list[Message]:
    with wf.ctx.session_factory() as session:
        return list(session.execute(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        ).scalars())


def _drafts(wf: Workflow, conversation_id: str) -> list[Draft]:
    with wf.ctx.session_factory() as session:
        return list(session.execute(
            select(Draft).where(Draft.conversation_id == conversation_id).order_by(Draft.id)
        ).scalars())


def _pending(wf: Workflow, text: str = "Where is my parcel?", name: str = "Maria Lopez") -> Any:
    conversation = wf.start_conversation(buyer_name=name)
    wf.receive_buyer_message(conversation_id=conversation.id, text=text)
    _drain(wf)
    (draft,) = wf.list_drafts()
    return conversation, draft


def test_receiving_stores_the_message_and_an_honest_acknowledgement(wf: Workflow) -> None:
    conversation = wf.start_conversation(buyer_name="Maria Lopez", locale="en-GB")
    received = wf.receive_buyer_message(conversation_id=conversation.id, text=" Hello? \r\n")
    assert received.status == "awaiting_draft"
    assert received.ack.text.startswith("Thanks, Maria! A person from our team will reply")
    assert "within 24 hours" in received.ack.text
    stored = _messages(wf, conversation.id)
    assert [(m.role, m.status) for m in stored] == [("buyer", "awaiting_draft"),
                                                     ("system", "sent")]
    assert stored[0].text == "Hello?"
    assert wf.conversation_status(conversation_id=conversation.id).awaiting_reply


def test_invalid_message_stores_nothing(wf: Workflow) -> None:
    conversation = wf.start_conversation()
    for bad in ["", "x" * 4001, "hi\x00"]:
        with pytest.raises(InvalidMessage):
            wf.receive_buyer_message(conversation_id=conversation.id, text=bad)
    assert _messages(wf, conversation.id) == []
    with pytest.raises(ConversationNotFound):
        wf.receive_buyer_message(conversation_id="nope", text="hello")


def test_approval_delivers_once_with_approver_time_and_sha256(
    wf: Workflow, notifier: RecordingNotifier, events: RecordingEvents
) -> None:
    conversation, draft = _pending(wf)
    assert notifier.calls == [("ready", draft.id)]
    outcome = wf.approve(draft_id=draft.id, actor="agent@example.com")
    assert outcome.status == "sent"
    seller = [m for m in _messages(wf, conversation.id) if m.role == "seller"]
    assert len(seller) == 1
    assert seller[0].id == outcome.message_id
    assert seller[0].text == draft.text
    assert seller[0].text_sha256 == hashlib.sha256(draft.text.encode()).hexdigest()
    assert seller[0].approved_by == "agent@example.com"
    assert seller[0].approved_at is not None
    assert seller[0].draft_id == draft.id
    # A second decision of any kind is refused and sends nothing.
    deciders: list[Callable[[], object]] = [
        lambda: wf.approve(draft_id=draft.id, actor="other@example.com"),
        lambda: wf.reject(draft_id=draft.id, actor="other@example.com", reason="late"),
        lambda: wf.escalate(draft_id=draft.id, actor="other@example.com"),
        lambda: wf.no_response_needed(draft_id=draft.id, actor="other@example.com"),
    ]
    for decide in deciders:
        with pytest.raises(DraftAlreadyDecided) as caught:
            decide()
        assert caught.value.status == 409
        assert caught.value.code == "draft_already_decided"
    assert len([m for m in _messages(wf, conversation.id) if m.role == "seller"]) == 1
    assert notifier.calls == [("ready", draft.id), ("decided", draft.id)]
    assert [e.data["id"] for e in events.of_type("message")][-1] == outcome.message_id
    status = wf.conversation_status(conversation_id=conversation.id)
    assert status.state == "answered" and not status.awaiting_reply
    with wf.ctx.session_factory() as session:
        actions = session.execute(select(AuditLog.action)).scalars().all()
        assert "draft.approve" in actions


def test_nothing_reaches_the_buyer_without_approval(wf: Workflow) -> None:
    conversation, draft = _pending(wf)
    visible = wf.buyer_thread(conversation_id=conversation.id)
    assert [m.role for m in visible] == ["buyer", "system"]
    assert all(draft.text != m.text for m in visible)


def test_edited_approval_is_rechecked_and_recorded(wf: Workflow, fake_drafter: FakeDrafter) -> None:
    conversation, draft = _pending(wf)
    edited = "Hi Maria,\n\nYour parcel arrives on Friday.\n\nThe Brightwater Home team"
    wf.approve(draft_id=draft.id, actor="agent@example.com", text=edited + "\r\n")
    assert fake_drafter.rechecks == [edited]
    (sent,) = [m for m in _messages(wf, conversation.id) if m.role == "seller"]
    assert sent.text == edited
    assert sent.text_sha256 == hashlib.sha256(edited.encode()).hexdigest()
    detail = wf.get_draft(draft_id=draft.id)
    assert detail.final_text == edited and detail.text == draft.text
    with wf.ctx.session_factory() as session:
        event = session.execute(
            select(ReviewEvent).where(ReviewEvent.action == "edit_approve")
        ).scalar_one()
        assert (event.text_before, event.text_after) == (draft.text, edited)


def test_unchanged_text_from_a_form_is_not_an_edit(wf: Workflow, fake_drafter: FakeDrafter) -> None:
    _, draft = _pending(wf)
    wf.approve(draft_id=draft.id, actor="a@example.com", text=draft.text.replace("\n", "\r\n"))
    assert fake_drafter.rechecks == []


def test_blocking_check_stops_approval_unless_overridden(wf: Workflow) -> None:
    _, draft = _pending(wf)
    with pytest.raises(BlockedByChecks) as caught:
        wf.approve(draft_id=draft.id, actor="a@example.com", text="Hi! Here is a coupon.")
    assert caught.value.check_ids == ["no_marketing"]
    assert wf.get_draft(draft_id=draft.id).status == "pending_review"
    # Only a lead overrides (issue 15): an agent's reason is refused with the failing checks.
    with pytest.raises(OverrideNotAllowed) as refused:
        wf.approve(draft_id=draft.id, actor="a@example.com", text="Hi! Here is a coupon.",
                   override_reason="the buyer asked for the coupon code they were promised")
    assert refused.value.status == 403 and refused.value.check_ids == ["no_marketing"]
    outcome = wf.approve(draft_id=draft.id, actor="a@example.com", text="Hi! Here is a coupon.",
                         override_reason="the buyer asked for the coupon code they were promised",
                         may_override=True)
    assert outcome.status == "sent"
    detail = wf.get_draft(draft_id=draft.id)
    assert detail.override_reason and "promised" in detail.override_reason


def test_new_buyer_message_supersedes_the_pending_draft(
    wf: Workflow, fake_drafter: FakeDrafter, notifier: RecordingNotifier
) -> None:
    conversation, first = _pending(wf, text="Where is my parcel?")
    follow_up = wf.receive_buyer_message(conversation_id=conversation.id,
                                         text="Also, can I change the address?")
    assert follow_up.ack is None  # one acknowledgement per waiting period (issue 18)
    assert wf.get_draft(draft_id=first.id).status == "superseded"
    assert ("decided", first.id) in notifier.calls
    with pytest.raises(DraftSuperseded):
        wf.approve(draft_id=first.id, actor="a@example.com")
    _drain(wf)
    drafts = _drafts(wf, conversation.id)
    assert [d.status for d in drafts] == ["superseded", "pending_review"]
    # The new draft answers the whole unanswered part of the thread.
    last_request = fake_drafter.requests[-1]
    assert list(last_request.buyer_messages) == [
        "Where is my parcel?", "Also, can I change the address?"
    ]
    buyer_ids = [m.id for m in _messages(wf, conversation.id) if m.role == "buyer"]
    assert drafts[1].message_ids == buyer_ids and drafts[1].message_id == follow_up.id
    wf.approve(draft_id=drafts[1].id, actor="a@example.com")
    assert {m.status for m in _messages(wf, conversation.id) if m.role == "buyer"} == {"answered"}


def test_later_messages_only_draft_the_unanswered_part(
    wf: Workflow, fake_drafter: FakeDrafter
) -> None:
    conversation, draft = _pending(wf, text="My order is 123-1234567-1234567")
    wf.approve(draft_id=draft.id, actor="a@example.com")
    wf.receive_buyer_message(conversation_id=conversation.id, text="Thanks! And returns?")
    _drain(wf)
    request = fake_drafter.requests[-1]
    assert list(request.buyer_messages) == ["Thanks! And returns?"]
    assert list(request.earlier_order_ids) == ["123-1234567-1234567"]


def test_reject_needs_a_reason_and_leaves_a_reply_owed(wf: Workflow) -> None:
    conversation, draft = _pending(wf)
    with pytest.raises(InvalidDecision):
        wf.reject(draft_id=draft.id, actor="a@example.com", reason="  ")
    wf.reject(draft_id=draft.id, actor="a@example.com", reason="quotes the wrong policy")
    assert {m.status for m in _messages(wf, conversation.id) if m.role == "buyer"} == {
        "needs_manual_reply"
    }
    (item,) = wf.needs_attention()
    assert item.conversation_id == conversation.id and item.unanswered == 1
    reply = wf.reply_manually(conversation_id=conversation.id, actor="a@example.com",
                              text="Hi Maria, I checked it myself: it arrives Friday.")
    sent = [m for m in _messages(wf, conversation.id) if m.role == "seller"]
    assert [m.id for m in sent] == [reply.message_id]
    assert sent[0].approved_by == "a@example.com" and sent[0].text_sha256
    assert wf.needs_attention() == []
    assert wf.conversation_status(conversation_id=conversation.id).state == "answered"


def test_escalated_drafts_wait_for_a_lead(wf: Workflow) -> None:
    conversation, draft = _pending(wf)
    wf.escalate(draft_id=draft.id, actor="agent@example.com", note="refund over limit")
    assert wf.conversation_status(conversation_id=conversation.id).needs_person
    assert [d.id for d in wf.list_drafts(statuses=[DraftStatus.ESCALATED])] == [draft.id]
    assert wf.list_drafts() == []
    with pytest.raises(DraftEscalated) as caught:
        wf.approve(draft_id=draft.id, actor="agent@example.com")
    assert caught.value.status == 403
    with pytest.raises(DraftAlreadyDecided):
        wf.escalate(draft_id=draft.id, actor="agent@example.com")
    outcome = wf.approve(draft_id=draft.id, actor="lead@example.com", may_decide_escalated=True)
    assert outcome.status == "sent"
    assert not wf.conversation_status(conversation_id=conversation.id).needs_person


def test_no_response_needed_counts_as_handled(wf: Workflow) -> None:
    conversation, draft = _pending(wf, text="Thank you so much!")
    wf.no_response_needed(draft_id=draft.id, actor="a@example.com")
    assert {m.status for m in _messages(wf, conversation.id) if m.role == "buyer"} == {
        "no_response_needed"
    }
    assert [m.role for m in wf.buyer_thread(conversation_id=conversation.id)] == [
        "buyer", "system"
    ]
    assert wf.conversation_status(conversation_id=conversation.id).state == "answered"


def test_request_person_is_idempotent(wf: Workflow, events: RecordingEvents) -> None:
    conversation, draft = _pending(wf)
    for _ in range(3):
        status = wf.request_person(conversation_id=conversation.id)
        assert status.needs_person
    assert wf.get_draft(draft_id=draft.id).needs_person
    with wf.ctx.session_factory() as session:
        count = session.execute(
            select(func.count()).select_from(ReviewEvent)
            .where(ReviewEvent.action == "request_person")
        ).scalar_one()
    assert count == 1
    assert len([e for e in events.of_type("conversation_updated")]) == 1


def test_redraft_and_close(wf: Workflow) -> None:
    conversation, draft = _pending(wf)
    wf.request_redraft(conversation_id=conversation.id, actor="a@example.com")
    assert wf.get_draft(draft_id=draft.id).status == "superseded"
    assert _drain(wf) == 1
    wf.close_without_reply(conversation_id=conversation.id, actor="a@example.com")
    assert [d.status for d in _drafts(wf, conversation.id)] == ["superseded", "superseded"]
    with pytest.raises(NothingToAnswer):
        wf.close_without_reply(conversation_id=conversation.id, actor="a@example.com")


def test_due_at_counts_from_the_oldest_unanswered_message(wf: Workflow) -> None:
    conversation = wf.start_conversation()
    first = wf.receive_buyer_message(conversation_id=conversation.id, text="one")
    wf.receive_buyer_message(conversation_id=conversation.id, text="two")
    _drain(wf)
    (draft,) = wf.list_drafts()
    created = {m.id: m.created_at for m in _messages(wf, conversation.id)}
    assert draft.due_at == created[first.id] + timedelta(hours=24)


def test_drafts_are_listed_by_deadline(wf: Workflow, workflow_services: Any) -> None:
    clock_values = iter([wf.ctx.clock() - timedelta(hours=h) for h in (1, 5, 3)])
    ids: list[str] = []
    for _ in range(3):
        now = next(clock_values)
        wf.ctx.clock = _frozen(now)
        conversation = wf.start_conversation()
        wf.receive_buyer_message(conversation_id=conversation.id, text="hello")
        ids.append(conversation.id)
    from knowledge_base.db import utcnow

    wf.ctx.clock = utcnow
    _drain(wf)
    assert [d.conversation_id for d in wf.list_drafts()] == [ids[1], ids[2], ids[0]]


def _frozen(value: Any) -> Callable[[], Any]:
    return lambda: value


def test_message_statuses_are_a_closed_set(wf: Workflow) -> None:
    conversation, draft = _pending(wf)
    wf.approve(draft_id=draft.id, actor="a@example.com")
    statuses = {m.status for m in _messages(wf, conversation.id)}
    assert statuses <= {s.value for s in MessageStatus}
