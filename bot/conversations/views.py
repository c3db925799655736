"""Read models for reviewers: the queue, one draft with its thread, what needs a person."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from bot.conversations import repository as repo
from bot.conversations.context import WorkflowContext
from bot.conversations.errors import ConversationNotFound, DraftNotFound
from bot.conversations.models import Conversation, Draft, Message
from bot.conversations.schemas import (
    AttentionItem,
    DraftDetail,
    DraftSummary,
    ThreadMessage,
)
from bot.conversations.states import DraftStatus
from bot.facts import CheckResult, Citation, OrderFacts, PolicyVerdict


def list_drafts(
    ctx: WorkflowContext, *, statuses: Collection[DraftStatus], limit: int = 200
) -> list[DraftSummary]:
    """Drafts in ``statuses``, the soonest reply deadline first."""
    with ctx.reading() as session:
        return [
            summary_of(draft, conversation)
            for draft, conversation in repo.list_drafts(session, statuses=statuses, limit=limit)
        ]


def get_draft(ctx: WorkflowContext, *, draft_id: int) -> DraftDetail:
    """One draft with everything it carries and the conversation's thread."""
    with ctx.reading() as session:
        draft = repo.get_draft(session, draft_id=draft_id)
        if draft is None:
            raise DraftNotFound("no such draft")
        conversation = repo.get_conversation(session, conversation_id=draft.conversation_id)
        if conversation is None:  # pragma: no cover - cascades delete drafts with it
            raise DraftNotFound("no such draft")
        messages = repo.thread(session, conversation_id=conversation.id)
        return detail_of(draft, conversation, messages)


def conversation_thread(ctx: WorkflowContext, *, conversation_id: str) -> list[ThreadMessage]:
    """The whole thread as a reviewer sees it (with statuses and delivery records)."""
    with ctx.reading() as session:
        if repo.get_conversation(session, conversation_id=conversation_id) is None:
            raise ConversationNotFound("no such conversation")
        return [thread_message(m) for m in repo.thread(session, conversation_id=conversation_id)]


def needs_attention(ctx: WorkflowContext) -> list[AttentionItem]:
    """Conversations waiting for a reply written by a person (drafting failed or rejected)."""
    deadline = timedelta(hours=ctx.config.reply_deadline_hours)
    with ctx.reading() as session:
        return [
            AttentionItem(
                conversation_id=conversation.id,
                buyer_name=conversation.buyer_name,
                state=conversation.state,
                needs_person=conversation.needs_person,
                needs_person_reason=conversation.needs_person_reason,
                unanswered=len(waiting),
                due_at=(waiting[0].created_at if waiting else conversation.created_at) + deadline,
                last_error="drafting failed" if conversation.last_error else None,
            )
            for conversation, waiting in repo.attention_needed(session)
        ]


def summary_of(draft: Draft, conversation: Conversation) -> DraftSummary:
    return DraftSummary(
        id=draft.id,
        conversation_id=draft.conversation_id,
        message_id=draft.message_id,
        text=draft.text,
        citations=[Citation.model_validate(c) for c in draft.citations],
        confidence=draft.confidence,
        handoff=draft.handoff,
        checks=[CheckResult.model_validate(c) for c in draft.checks],
        status=draft.status,
        due_at=draft.due_at,
        created_at=draft.created_at,
        needs_person=conversation.needs_person,
        buyer_name=conversation.buyer_name,
        intents=list(draft.intents),
    )


def detail_of(draft: Draft, conversation: Conversation, messages: list[Message]) -> DraftDetail:
    summary = summary_of(draft, conversation)
    return DraftDetail(
        **summary.model_dump(),
        message_ids=list(draft.message_ids),
        handoff_reason=draft.handoff_reason,
        suggest_no_response=draft.suggest_no_response,
        language=draft.language,
        reply_language=(draft.evidence or {}).get("reply_language") or draft.language,
        untranslated_kb_text=(draft.evidence or {}).get("untranslated_kb_text") or [],
        sentiment=draft.sentiment,
        composer=draft.composer,
        order=OrderFacts.model_validate(draft.order_facts) if draft.order_facts else None,
        verdicts=[PolicyVerdict.model_validate(v) for v in draft.verdicts],
        kb_revisions=dict(draft.kb_revisions),
        decided_at=draft.decided_at,
        decided_by=draft.decided_by,
        decision_note=draft.decision_note,
        final_text=draft.final_text,
        final_checks=(
            [CheckResult.model_validate(c) for c in draft.final_checks]
            if draft.final_checks is not None else None
        ),
        override_reason=draft.override_reason,
        sent_message_id=draft.sent_message_id,
        needs_person_reason=conversation.needs_person_reason,
        thread=[thread_message(m) for m in messages],
    )


def thread_message(message: Message) -> ThreadMessage:
    return ThreadMessage(
        id=message.id, role=message.role,  # type: ignore[arg-type]
        text=message.text, status=message.status, created_at=message.created_at,
        approved_by=message.approved_by, approved_at=message.approved_at,
        text_sha256=message.text_sha256,
    )
