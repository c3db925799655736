"""Read models for reviewers: the queue, one draft with its thread, what needs a person."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversations import labels
from bot.conversations import repository as repo
from bot.conversations.context import WorkflowContext
from bot.conversations.errors import ConversationNotFound, DraftNotFound
from bot.conversations.models import Conversation, Draft, Message, ReviewEvent
from bot.conversations.order_bindings import OrderBinding
from bot.conversations.schemas import (
    AttentionItem,
    DraftDetail,
    DraftSummary,
    ThreadMessage,
)
from bot.conversations.states import DraftStatus, MessageRole
from bot.facts import CheckResult, Citation, OrderFacts, PolicyVerdict


def list_drafts(
    ctx: WorkflowContext, *, statuses: Collection[DraftStatus], limit: int = 200,
    after_draft_id: int | None = None,
) -> list[DraftSummary]:
    """Drafts in ``statuses``, the soonest reply deadline first; ``after_draft_id``: the
    page after that draft (DraftNotFound when there is no such draft)."""
    with ctx.reading() as session:
        if after_draft_id is not None and repo.get_draft(session, draft_id=after_draft_id) is None:
            raise DraftNotFound("no such draft to continue after")
        return [
            summary_of(draft, conversation)
            for draft, conversation in repo.list_drafts(
                session, statuses=statuses, limit=limit, after_draft_id=after_draft_id
            )
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
        reply_sources=(draft.evidence or {}).get("reply_sources") or [],
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


# --- the agent's desk: queue rows, their filters and the buyer panel (issue 18) -----------

# "Due soon": less than this left before the 24-hour reply deadline (or overdue).
DUE_SOON = timedelta(hours=4)
SORTS = {
    "due": "due soonest",
    "newest": "newest message",
    "confidence": "least confident",
}


@dataclass(frozen=True)
class QueueRow:
    """One draft as the queue lists it: who wrote, how, what they last said, when due."""

    draft_id: int
    conversation_id: str
    status: str
    buyer_name: str | None
    channel: str
    language: str
    mood: str
    reasons: list[str]
    reason_codes: frozenset[str]
    last_message: str
    last_message_at: datetime
    due_at: datetime
    confidence: float
    handoff: bool
    blocking: list[str]
    relay_alias: str | None = None
    assignee: str | None = None
    viewers: tuple[str, ...] = ()

    @property
    def buyer(self) -> str:
        return buyer_display_name(self.buyer_name, self.relay_alias)

    def with_desk(
        self, *, relay_alias: str | None, assignee: str | None, viewers: Sequence[str]
    ) -> QueueRow:
        """The row with what other packages know: the mail channel's relay alias, who
        claimed the conversation, who has the draft open."""
        return replace(self, relay_alias=relay_alias, assignee=assignee, viewers=tuple(viewers))

    @property
    def searchable(self) -> str:
        return " ".join((self.buyer, self.last_message, self.conversation_id)).casefold()


@dataclass(frozen=True)
class QueueQuery:
    """The queue's search, filters and sort, as the console's query parameters carry them."""

    search: str = ""
    channel: str = ""
    language: str = ""
    reason: str = ""
    due_soon: bool = False
    mine: bool = False
    sort: str = "due"

    @property
    def active(self) -> bool:
        return bool(self.search or self.channel or self.language or self.reason
                    or self.due_soon or self.mine)


def queue_rows(
    ctx: WorkflowContext,
    *,
    statuses: Collection[DraftStatus],
    limit: int = 500,
) -> list[QueueRow]:
    """Drafts in ``statuses`` as queue rows, the soonest deadline first."""
    with ctx.reading() as session:
        pairs = repo.list_drafts(session, statuses=statuses, limit=limit)
        last = _last_buyer_messages(session, [c.id for _, c in pairs])
        return [_row(draft, conversation, last.get(conversation.id))
                for draft, conversation in pairs]


def _last_buyer_messages(session: Session, conversation_ids: list[str]) -> dict[str, Message]:
    if not conversation_ids:
        return {}
    newest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(conversation_ids),
               Message.role == MessageRole.BUYER.value)
        .group_by(Message.conversation_id)
    )
    messages = session.execute(select(Message).where(Message.id.in_(newest))).scalars()
    return {message.conversation_id: message for message in messages}


def buyer_display_name(buyer_name: str | None, alias: str | None) -> str:
    """The buyer's name, else the relay alias they write from, else what we know."""
    return buyer_name or alias or "Buyer without a name"


def _row(draft: Draft, conversation: Conversation, last: Message | None) -> QueueRow:
    reason = draft.handoff_reason if draft.handoff else None
    stored = ",".join(r for r in (reason, conversation.needs_person_reason) if r)
    checks = [CheckResult.model_validate(c) for c in draft.checks]
    return QueueRow(
        draft_id=draft.id,
        conversation_id=conversation.id,
        status=draft.status,
        buyer_name=conversation.buyer_name,
        channel=conversation.channel,
        language=draft.language or conversation.locale or "en",
        mood=draft.sentiment,
        reasons=labels.handoff_reasons(stored),
        reason_codes=frozenset(labels.reason_codes(stored)),
        last_message=last.text if last is not None else "",
        last_message_at=last.created_at if last is not None else draft.created_at,
        due_at=draft.due_at,
        confidence=draft.confidence,
        handoff=draft.handoff,
        blocking=[labels.check_label(c.id) for c in checks
                  if not c.passed and c.severity == "block"],
    )


def filter_queue(
    rows: Sequence[QueueRow], query: QueueQuery, *, agent: str, now: datetime
) -> list[QueueRow]:
    """The rows that match every filter, sorted as asked. Done in Python over the rows:
    buyer text is encrypted at rest, so the database cannot search it."""
    needle = query.search.strip().casefold()
    kept = [
        row for row in rows
        if (not needle or all(word in row.searchable for word in needle.split()))
        and (not query.channel or row.channel == query.channel)
        and (not query.language or row.language.split("-")[0] == query.language)
        and (not query.reason or query.reason in row.reason_codes)
        and (not query.due_soon or row.due_at - now < DUE_SOON)
        and (not query.mine or row.assignee == agent)
    ]
    if query.sort == "newest":
        kept.sort(key=lambda row: (row.last_message_at, row.draft_id), reverse=True)
    elif query.sort == "confidence":
        kept.sort(key=lambda row: (row.confidence, row.due_at, row.draft_id))
    else:
        kept.sort(key=lambda row: (row.due_at, row.draft_id))
    return kept


@dataclass(frozen=True)
class PastConversation:
    """Another conversation of the same buyer, for the buyer panel."""

    conversation_id: str
    created_at: datetime
    state: str
    first_message: str
    messages: int


def past_conversations(
    ctx: WorkflowContext, *, conversation_ids: Collection[str], besides: str, limit: int = 10
) -> list[PastConversation]:
    """The buyer's other conversations (found by the caller: the same relay address or a
    shared bound order), newest first."""
    wanted = [c for c in conversation_ids if c != besides]
    if not wanted:
        return []
    found = []
    with ctx.reading() as session:
        conversations = session.execute(
            select(Conversation).where(Conversation.id.in_(wanted))
            .order_by(Conversation.created_at.desc()).limit(limit)
        ).scalars()
        for conversation in conversations:
            buyer = repo.buyer_messages(session, conversation_id=conversation.id)
            found.append(PastConversation(
                conversation_id=conversation.id, created_at=conversation.created_at,
                state=conversation.state, first_message=buyer[0].text if buyer else "",
                messages=len(buyer),
            ))
    return found


def conversations_sharing_orders(ctx: WorkflowContext, *, conversation_id: str) -> set[str]:
    """Conversations bound to an order this one is bound to (the same buyer's orders)."""
    with ctx.reading() as session:
        mine = select(OrderBinding.order_id).where(
            OrderBinding.conversation_id == conversation_id
        )
        return set(session.execute(
            select(OrderBinding.conversation_id).where(OrderBinding.order_id.in_(mine))
        ).scalars()) - {conversation_id}


@dataclass(frozen=True)
class DecisionNote:
    """What a person wrote when rejecting, escalating or closing: shown to whoever opens
    the conversation next (the lead who picks up an escalation, the agent who rewrites)."""

    actor: str
    action: str
    note: str
    at: datetime
    draft_id: int | None


_NOTED_ACTIONS = {"reject": "rejected", "escalate": "escalated", "close": "closed"}


def decision_notes(ctx: WorkflowContext, *, conversation_id: str) -> list[DecisionNote]:
    """Every reject, escalate and close note of the conversation, oldest first."""
    with ctx.reading() as session:
        events = session.execute(
            select(ReviewEvent)
            .where(ReviewEvent.conversation_id == conversation_id,
                   ReviewEvent.action.in_(list(_NOTED_ACTIONS)),
                   ReviewEvent.note.is_not(None))
            .order_by(ReviewEvent.id)
        ).scalars()
        return [
            DecisionNote(actor=e.actor, action=_NOTED_ACTIONS[e.action], note=e.note or "",
                         at=e.created_at, draft_id=e.draft_id)
            for e in events if (e.note or "").strip()
        ]


def open_draft_of(ctx: WorkflowContext, *, conversation_id: str) -> int | None:
    """The conversation's draft still waiting for a decision (the newest), if any: where
    "the buyer wrote again" sends an agent whose draft was superseded."""
    with ctx.reading() as session:
        return session.execute(
            select(Draft.id)
            .where(Draft.conversation_id == conversation_id,
                   Draft.status.in_([DraftStatus.PENDING_REVIEW.value,
                                     DraftStatus.ESCALATED.value]))
            .order_by(Draft.id.desc()).limit(1)
        ).scalar_one_or_none()
