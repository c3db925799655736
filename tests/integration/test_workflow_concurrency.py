"""Two people (or ten) deciding one draft at the same moment produce exactly one outcome."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from bot.conversations.errors import (
    DraftAlreadyDecided,
    DraftEscalated,
    DraftSuperseded,
    NothingToAnswer,
    WorkflowError,
)
from bot.conversations.models import Message
from bot.worker import DraftingWorker


def _pending_draft(services: Any) -> tuple[str, int]:
    wf = services.workflow
    conversation = wf.start_conversation()
    wf.receive_buyer_message(conversation_id=conversation.id, text="Where is my parcel?")
    DraftingWorker(workflow=wf).run_until_idle()
    (draft,) = wf.list_drafts()
    return conversation.id, draft.id


def _race(actions: list[Any]) -> list[str]:
    """Run every action at once (a barrier releases all threads together)."""
    barrier = threading.Barrier(len(actions))
    results: list[str] = [""] * len(actions)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = actions[index]().status
        except WorkflowError as exc:
            results[index] = exc.code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _seller_messages(services: Any, conversation_id: str) -> list[Message]:
    with services.session_factory() as session:
        return list(session.execute(
            select(Message).where(Message.conversation_id == conversation_id,
                                  Message.role == "seller")
        ).scalars())


def test_concurrent_approvals_send_exactly_once(workflow_services: Any) -> None:
    conversation_id, draft_id = _pending_draft(workflow_services)
    wf = workflow_services.workflow
    actions = [
        (lambda n=n: wf.approve(draft_id=draft_id, actor=f"agent{n}@example.com",
                                text=f"Hi, reply from agent {chr(ord('A') + n)}."))
        for n in range(8)
    ]
    results = _race(actions)
    assert Counter(results) == {"sent": 1, DraftAlreadyDecided.code: 7}
    (sent,) = _seller_messages(workflow_services, conversation_id)
    winner = wf.get_draft(draft_id=draft_id)
    assert winner.status == "sent" and sent.text == winner.final_text
    assert sent.approved_by == winner.decided_by


def test_concurrent_different_decisions_have_one_winner(workflow_services: Any) -> None:
    conversation_id, draft_id = _pending_draft(workflow_services)
    wf = workflow_services.workflow
    actions = [
        lambda: wf.approve(draft_id=draft_id, actor="a@example.com"),
        lambda: wf.reject(draft_id=draft_id, actor="b@example.com", reason="no"),
        lambda: wf.escalate(draft_id=draft_id, actor="c@example.com"),
        lambda: wf.no_response_needed(draft_id=draft_id, actor="d@example.com"),
    ] * 2
    results = _race(actions)
    # Losers are told the draft is decided; when escalation wins, an agent is told instead
    # that the draft now waits for a lead. Either way, exactly one action took effect.
    refusals = {DraftAlreadyDecided.code, DraftEscalated.code}
    outcomes = [r for r in results if r not in refusals]
    assert len(outcomes) == 1
    final = wf.get_draft(draft_id=draft_id).status
    assert outcomes == [final]
    assert len(_seller_messages(workflow_services, conversation_id)) == (final == "sent")


def test_a_buyer_message_racing_an_approval_never_loses_either(workflow_services: Any) -> None:
    conversation_id, draft_id = _pending_draft(workflow_services)
    wf = workflow_services.workflow
    results = _race([
        lambda: wf.approve(draft_id=draft_id, actor="a@example.com"),
        lambda: wf.receive_buyer_message(conversation_id=conversation_id, text="One more thing"),
    ])
    final = wf.get_draft(draft_id=draft_id).status
    if final == "sent":
        assert results[0] == "sent"
        assert len(_seller_messages(workflow_services, conversation_id)) == 1
    else:
        assert final == "superseded" and results[0] == DraftSuperseded.code
        assert _seller_messages(workflow_services, conversation_id) == []
    assert results[1] == "awaiting_draft"
    # Whatever won, the new message is queued and gets its own draft.
    DraftingWorker(workflow=wf).run_until_idle()
    (fresh,) = wf.list_drafts()
    with workflow_services.session_factory() as session:
        newest = max(session.execute(
            select(Message.id).where(Message.conversation_id == conversation_id,
                                     Message.role == "buyer")
        ).scalars())
    assert fresh.id != draft_id and fresh.message_id == newest


def test_approval_racing_a_manual_reply_sends_one_reply(workflow_services: Any) -> None:
    """Issue 15, finding 7: approve and a manual reply at once sent two replies (5 of 10)."""
    wf = workflow_services.workflow
    for trial in range(5):
        conversation = wf.start_conversation()
        wf.receive_buyer_message(conversation_id=conversation.id, text=f"Where is it? ({trial})")
        DraftingWorker(workflow=wf).run_until_idle()
        [draft] = [d for d in wf.list_drafts() if d.conversation_id == conversation.id]
        results = _race([
            lambda draft_id=draft.id: wf.approve(draft_id=draft_id, actor="a@example.com"),
            lambda cid=conversation.id: wf.reply_manually(
                conversation_id=cid, actor="b@example.com", text="Hi, it ships today."
            ),
        ])
        assert len(_seller_messages(workflow_services, conversation.id)) == 1, results
        # The loser is told why, like the other races.
        losers = [r for r in results if r in {"nothing_to_answer", "draft_superseded"}]
        assert len(losers) == 1, results


def test_a_manual_reply_after_the_approval_is_refused(workflow_services: Any) -> None:
    """The order the race above usually hides: the approval lands first."""
    wf = workflow_services.workflow
    conversation_id, draft_id = _pending_draft(workflow_services)
    wf.approve(draft_id=draft_id, actor="a@example.com")
    with pytest.raises(NothingToAnswer):
        wf.reply_manually(conversation_id=conversation_id, actor="b@example.com",
                          text="Hi, it ships today.")
    assert len(_seller_messages(workflow_services, conversation_id)) == 1
    # A new buyer message opens a new period: a person may answer it by hand.
    wf.receive_buyer_message(conversation_id=conversation_id, text="And the tracking number?")
    wf.reply_manually(conversation_id=conversation_id, actor="b@example.com",
                      text="It is 1Z999, Maria.")
    assert len(_seller_messages(workflow_services, conversation_id)) == 2
