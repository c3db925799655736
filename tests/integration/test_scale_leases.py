"""Claim leases renewed by a heartbeat (issue 17 §6): a slow draft keeps its claim, a dead
worker's job is retaken within the lease. Time is an injected clock, never a sleep."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.conversations import queue
from bot.conversations.models import Conversation
from bot.conversations.service import Workflow
from bot.drafting.interface import DraftRequest
from bot.facts import DraftReply
from bot.services import workflow_config
from bot.settings import Settings
from bot.worker import DraftingWorker
from knowledge_base.db import utcnow
from tests.fakes import FakeDrafter, RecordingEvents
from tests.workflow_support import wait_for


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _workflow(services: Any, clock: Clock, drafter: Any | None = None) -> Workflow:
    # The shipped defaults: the lease a dead worker's job waits out is the real one.
    return Workflow(
        session_factory=services.session_factory, drafter=drafter or FakeDrafter(),
        events=RecordingEvents(), config=workflow_config(Settings()), clock=clock,
    )


def _lease_end(wf: Workflow, conversation_id: str) -> datetime | None:
    with wf.ctx.session_factory() as session:
        row = session.get(Conversation, conversation_id)
        assert row is not None
        return row.claim_expires_at


def _queued(wf: Workflow) -> str:
    conversation = wf.start_conversation()
    wf.receive_buyer_message(conversation_id=conversation.id, text="Where is my order?")
    return conversation.id


def test_a_dead_workers_job_is_retaken_within_30_seconds(
    workflow_services: Any, clock: Clock
) -> None:
    wf = _workflow(workflow_services, clock)
    _queued(wf)
    assert wf.claim_next_job(worker_id="killed") is not None  # then no heartbeat ever again
    assert wf.claim_next_job(worker_id="survivor") is None
    clock.advance(30.001)
    assert wf.claim_next_job(worker_id="survivor") is not None


def test_a_heartbeat_keeps_a_slow_draft_claimed_until_it_stops(
    workflow_services: Any, clock: Clock
) -> None:
    wf = _workflow(workflow_services, clock)
    conversation_id = _queued(wf)
    slow = wf.claim_next_job(worker_id="slow")
    assert slow is not None
    lease = wf.config.worker_lease_seconds
    for _ in range(5):  # a draft taking five leases' worth of beats keeps its claim
        clock.advance(lease * 0.6)
        assert queue.renew_claim(wf.ctx, slow)
        assert wf.claim_next_job(worker_id="other") is None
    renewed_until = _lease_end(wf, conversation_id)
    assert renewed_until == clock.now + timedelta(seconds=lease)

    clock.advance(lease + 0.001)  # the slow worker died: its beats stopped
    retaken = wf.claim_next_job(worker_id="other")
    assert retaken is not None and retaken.claim_token != slow.claim_token
    assert not queue.renew_claim(wf.ctx, slow)  # the old claim cannot come back


def test_the_worker_beats_while_its_drafter_runs(workflow_services: Any, clock: Clock) -> None:
    holder: dict[str, Any] = {}

    class DrafterThatWaitsForABeat(FakeDrafter):
        """Moves the clock past the lease, then waits until the heartbeat renewed it."""

        def draft(self, request: DraftRequest) -> DraftReply:
            wf, conversation_id = holder["wf"], holder["id"]
            first_lease_end = _lease_end(wf, conversation_id)
            assert first_lease_end is not None
            clock.advance(wf.config.worker_lease_seconds)
            wait_for(lambda: (_lease_end(wf, conversation_id) or first_lease_end)
                     > first_lease_end, timeout=30.0)
            return super().draft(request)

    drafter = DrafterThatWaitsForABeat()
    wf = _workflow(workflow_services, clock, drafter)
    holder.update(wf=wf, id=_queued(wf))
    worker = DraftingWorker(workflow=wf, heartbeat_seconds=0.01)
    assert worker.run_once()
    (draft,) = wf.list_drafts()
    assert draft.conversation_id == holder["id"]
    assert wf.needs_attention() == []


def test_a_worker_beats_several_times_per_lease(workflow_services: Any, clock: Clock) -> None:
    wf = _workflow(workflow_services, clock)
    assert wf.config.worker_lease_seconds <= 30
    beat = DraftingWorker(workflow=wf).heartbeat_seconds
    assert 0 < beat * 2 < wf.config.worker_lease_seconds
    assert Settings(worker_lease_seconds=2).worker_lease_seconds == 2  # the beat follows
    with pytest.raises(ValueError, match="HEARTBEAT"):
        Settings(worker_lease_seconds=10, worker_heartbeat_seconds=10)
