"""Property-based test of the approval state machine through the real workflow (issue 15 §8).

Hypothesis plays buyers, the drafting worker, agents and leads in random orders: buyers
write, drafts are made, people approve, reject, escalate, mark "no response needed" or
reply by hand. After every step the database must agree with ``bot.conversations.states``:
each draft only ever moves along ``DRAFT_TRANSITIONS``, a decision succeeds exactly when
``decidable_statuses`` allows it, a decided draft never changes again, one draft sends at
most one reply, and a conversation with an open draft is awaiting a reply.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from bot.conversations.errors import WorkflowError
from bot.conversations.models import Draft, Message
from bot.conversations.service import Workflow
from bot.conversations.states import (
    DECISION_OUTCOME,
    OPEN_DRAFTS,
    ConversationState,
    Decision,
    DraftStatus,
    can_transition,
    decidable_statuses,
)
from bot.services import Services
from bot.worker import DraftingWorker


def _machine(services: Services) -> type[RuleBasedStateMachine]:
    workflow: Workflow = services.workflow

    class ApprovalMachine(RuleBasedStateMachine):
        conversations = Bundle("conversations")

        def __init__(self) -> None:
            super().__init__()
            self.mine: list[str] = []
            self.seen: dict[int, DraftStatus] = {}  # every draft of this run, last status

        def _drafts(self) -> dict[int, DraftStatus]:
            with services.session_factory() as session:
                rows = session.execute(
                    select(Draft.id, Draft.status).where(Draft.conversation_id.in_(self.mine))
                ).all()
            return {draft_id: DraftStatus(status) for draft_id, status in rows}

        @rule(target=conversations)
        def open_conversation(self) -> str:
            conversation_id = workflow.start_conversation(buyer_name="Ann").id
            self.mine.append(conversation_id)
            return conversation_id

        @rule(conversation=conversations, text=st.sampled_from(
            ["Where is my kettle?", "Thanks!", "Can I return the pan?"]))
        def buyer_writes(self, conversation: str, text: str) -> None:
            workflow.receive_buyer_message(conversation_id=conversation, text=text)

        @rule()
        def worker_drafts(self) -> None:
            DraftingWorker(workflow=workflow).run_until_idle()

        @rule(data=st.data(), decision=st.sampled_from(list(Decision)), lead=st.booleans())
        def person_decides(self, data: st.DataObject, decision: Decision, lead: bool) -> None:
            drafts = self._drafts()
            if not drafts:
                return
            draft_id = data.draw(st.sampled_from(sorted(drafts)), label="draft")
            before = drafts[draft_id]
            actor = "lead@example.com" if lead else "agent@example.com"
            calls: dict[Decision, Any] = {
                Decision.APPROVE: lambda: workflow.approve(
                    draft_id=draft_id, actor=actor, may_decide_escalated=lead,
                    may_override=lead),
                Decision.REJECT: lambda: workflow.reject(
                    draft_id=draft_id, actor=actor, reason="Not right",
                    may_decide_escalated=lead),
                Decision.ESCALATE: lambda: workflow.escalate(draft_id=draft_id, actor=actor),
                Decision.NO_RESPONSE_NEEDED: lambda: workflow.no_response_needed(
                    draft_id=draft_id, actor=actor, may_decide_escalated=lead),
            }
            try:
                calls[decision]()
                succeeded = True
            except WorkflowError:
                succeeded = False
            after = self._drafts()[draft_id]
            allowed = before in decidable_statuses(decision, may_decide_escalated=lead)
            assert succeeded == allowed, (decision, before, lead)
            assert after == (DECISION_OUTCOME[decision] if succeeded else before)

        @rule(conversation=conversations)
        def person_replies_by_hand(self, conversation: str) -> None:
            with suppress(WorkflowError):  # nothing to answer: refused, as it should be
                workflow.reply_manually(conversation_id=conversation, actor="lead@example.com",
                                        text="We are on it and will write again today.")

        @invariant()
        def drafts_only_move_along_the_transitions(self) -> None:
            for draft_id, status in self._drafts().items():
                previous = self.seen.get(draft_id)
                if previous is not None and previous != status:
                    assert can_transition(previous, status), (draft_id, previous, status)
                self.seen[draft_id] = status

        @invariant()
        def one_draft_sends_at_most_one_reply(self) -> None:
            with services.session_factory() as session:
                repeated = session.execute(
                    select(Message.draft_id).where(Message.conversation_id.in_(self.mine),
                                                   Message.draft_id.is_not(None))
                    .group_by(Message.draft_id).having(func.count() > 1)
                ).all()
            assert repeated == []

        @invariant()
        def an_open_draft_means_a_reply_is_awaited(self) -> None:
            with services.session_factory() as session:
                open_in = set(session.scalars(
                    select(Draft.conversation_id).where(Draft.conversation_id.in_(self.mine),
                                                        Draft.status.in_(list(OPEN_DRAFTS)))
                ))
            for conversation in open_in:
                state = workflow.conversation_status(conversation_id=conversation).state
                assert state == ConversationState.AWAITING_REPLY

    return ApprovalMachine


@pytest.mark.timeout(600)
def test_the_workflow_follows_the_state_machine(workflow_services: Services) -> None:
    run_state_machine_as_test(
        _machine(workflow_services),
        settings=settings(max_examples=12, stateful_step_count=25, deadline=None,
                          derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck)),
    )
