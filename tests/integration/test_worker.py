"""The drafting worker: retries with backoff, hand-over to people, stale and lost claims."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.conversations.context import WorkflowConfig
from bot.conversations.models import Conversation, Draft
from bot.conversations.service import Workflow
from bot.drafting.interface import DraftRequest
from bot.facts import DraftReply
from bot.worker import DraftingWorker
from knowledge_base.db import utcnow
from tests.fakes import FakeDrafter, RecordingEvents
from tests.workflow_support import wait_for


class Clock:
    """A settable clock for the workflow (backoff and leases without sleeping)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _workflow(services: Any, drafter: Any, clock: Clock, **config: Any) -> Workflow:
    return Workflow(
        session_factory=services.session_factory, drafter=drafter, events=RecordingEvents(),
        config=WorkflowConfig(**{"worker_max_attempts": 3, "worker_lease_seconds": 60,
                                 "worker_retry_base_seconds": 2.0, **config}),
        clock=clock,
    )


def _drafts(wf: Workflow) -> list[Draft]:
    with wf.ctx.session_factory() as session:
        return list(session.execute(select(Draft).order_by(Draft.id)).scalars())


def test_failures_back_off_then_go_to_a_person(workflow_services: Any, clock: Clock) -> None:
    drafter = FakeDrafter(fail_times=3)
    wf = _workflow(workflow_services, drafter, clock)
    worker = DraftingWorker(workflow=wf)
    conversation = wf.start_conversation(buyer_name="Ana")
    wf.receive_buyer_message(conversation_id=conversation.id, text="Is it waterproof?")

    assert worker.run_once()  # attempt 1 fails
    assert not worker.run_once()  # backing off: nothing claimable yet
    clock.advance(1.9)
    assert not worker.run_once()
    clock.advance(0.2)
    assert worker.run_once()  # attempt 2 fails; next wait is 4 s
    clock.advance(3.9)
    assert not worker.run_once()
    clock.advance(0.2)
    assert worker.run_once()  # attempt 3 fails: handed to a person
    clock.advance(3600)
    assert not worker.run_once()
    assert len(drafter.requests) == 3 and _drafts(wf) == []

    (item,) = wf.needs_attention()
    assert item.conversation_id == conversation.id
    assert item.needs_person_reason == "drafting_failed"
    status = wf.conversation_status(conversation_id=conversation.id)
    assert status.needs_person and status.awaiting_reply
    thread = wf.conversation_thread(conversation_id=conversation.id)
    assert thread[0].status == "needs_manual_reply"

    # A person asks for another try once drafting works again.
    wf.request_redraft(conversation_id=conversation.id, actor="agent@example.com")
    assert worker.run_once()
    assert [d.status for d in _drafts(wf)] == ["pending_review"]
    assert wf.needs_attention() == []


def test_a_message_arriving_while_drafting_is_answered_in_the_same_draft(
    workflow_services: Any, clock: Clock
) -> None:
    holder: dict[str, Any] = {}

    class InterruptedDrafter(FakeDrafter):
        def draft(self, request: DraftRequest) -> DraftReply:
            if len(self.requests) == 0:
                holder["wf"].receive_buyer_message(conversation_id=holder["id"],
                                                   text="Also: blue, not red.")
            return super().draft(request)

    drafter = InterruptedDrafter()
    wf = _workflow(workflow_services, drafter, clock)
    holder["wf"] = wf
    conversation = wf.start_conversation()
    holder["id"] = conversation.id
    wf.receive_buyer_message(conversation_id=conversation.id, text="I ordered the wrong colour.")
    DraftingWorker(workflow=wf).run_until_idle()

    (draft,) = _drafts(wf)
    assert draft.status == "pending_review"
    assert len(draft.message_ids) == 2
    last = drafter.requests[-1]
    assert list(last.buyer_messages) == ["I ordered the wrong colour.", "Also: blue, not red."]
    with wf.ctx.session_factory() as session:
        row = session.get(Conversation, conversation.id)
        assert row is not None and row.draft_attempts == 0 and not row.needs_draft


def test_a_crash_mid_draft_leads_to_exactly_one_draft(workflow_services: Any, clock: Clock) -> None:
    drafter = FakeDrafter()
    wf = _workflow(workflow_services, drafter, clock, worker_lease_seconds=30)
    conversation = wf.start_conversation()
    wf.receive_buyer_message(conversation_id=conversation.id, text="Where is my order?")

    crashed = wf.claim_next_job(worker_id="crashed-worker")
    assert crashed is not None
    assert wf.claim_next_job(worker_id="other") is None  # the claim holds while leased
    clock.advance(31)
    survivor = DraftingWorker(workflow=wf, worker_id="survivor")
    assert survivor.run_once()
    # The crashed worker comes back to life and tries to store its draft: refused.
    late = drafter.draft(crashed.request)
    assert wf.store_draft(crashed, late) is None
    assert not wf.record_failure(crashed, error="late")
    assert len(_drafts(wf)) == 1
    assert not survivor.run_once()


def test_restart_releases_claims_of_the_dead_embedded_worker(
    workflow_services: Any, clock: Clock
) -> None:
    wf = _workflow(workflow_services, FakeDrafter(), clock, worker_lease_seconds=600)
    for text in ("one", "two"):
        conversation = wf.start_conversation()
        wf.receive_buyer_message(conversation_id=conversation.id, text=text)
    assert wf.claim_next_job(worker_id="old-process") is not None
    assert wf.resume_after_restart(release_all_claims=False) == 0  # lease still running
    assert wf.resume_after_restart(release_all_claims=True) == 1
    assert DraftingWorker(workflow=wf).run_until_idle() == 2
    assert sorted(len(d.message_ids) for d in _drafts(wf)) == [1, 1]
    assert wf.queue_length() == 0


def test_in_process_worker_drafts_new_messages_promptly(workflow_services: Any) -> None:
    wf = workflow_services.workflow
    worker = DraftingWorker(workflow=wf, poll_seconds=120.0)
    worker.start()
    try:
        conversation = wf.start_conversation()
        wf.receive_buyer_message(conversation_id=conversation.id, text="Hello there")
        # The wake-up hook means the idle worker does not wait out its poll interval.
        drafts = wait_for(lambda: wf.list_drafts(), timeout=60.0)
        assert drafts[0].conversation_id == conversation.id
    finally:
        worker.stop()
