"""End to end with the real drafting pipeline: demo KB, real embeddings, offline composer."""

from __future__ import annotations

from typing import Any

import pytest

from bot.worker import DraftingWorker

pytestmark = pytest.mark.slow


def test_a_buyer_message_is_drafted_by_the_real_pipeline_and_delivered(
    demo_services: Any,
) -> None:
    workflow = demo_services.workflow
    conversation = workflow.start_conversation(buyer_name="Maria Lopez")
    workflow.receive_buyer_message(
        conversation_id=conversation.id,
        text="Hi, how long do I have to return a lamp I bought? It arrived last week.",
    )
    assert DraftingWorker(workflow=workflow).run_until_idle() >= 1
    (draft,) = [d for d in workflow.list_drafts() if d.conversation_id == conversation.id]
    detail = workflow.get_draft(draft_id=draft.id)
    assert detail.text.strip()
    assert detail.composer
    assert detail.checks, "the pipeline runs reply checks"
    if not detail.handoff:
        assert detail.citations, "an answer cites the knowledge base"
        assert all(c.article_id in detail.kb_revisions for c in detail.citations)
    override = "reviewed in test" if detail.blocking_failures else None
    outcome = workflow.approve(draft_id=draft.id, actor="agent@example.com",
                               override_reason=override)
    thread = workflow.buyer_thread(conversation_id=conversation.id)
    assert thread[-1].id == outcome.message_id and thread[-1].text == detail.text
