"""A person's decisions on drafts, and replies they write themselves.

Every decision is one transaction: lock the conversation, move the draft with a
conditional UPDATE (``WHERE status IN (...)``), and — for an approval — write the outgoing
message with approver, time and sha256 of the exact text. The loser of a race, or a second
click, gets :class:`DraftAlreadyDecided` and nothing is sent twice. Notifiers and live
events run only after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.conversations import repository as repo
from bot.conversations.context import (
    WorkflowContext,
    clean_optional_note,
    ids_of,
    sha256_text,
    validate_message_text,
)
from bot.conversations.errors import (
    BlockedByChecks,
    DraftAlreadyDecided,
    DraftEscalated,
    DraftNotFound,
    DraftSuperseded,
    InvalidDecision,
    NothingToAnswer,
    OverrideNotAllowed,
    WorkflowError,
)
from bot.conversations.inbox import (
    public_message,
    publish_message,
    publish_status,
    queue_for_drafting,
    status_of,
)
from bot.conversations.models import Conversation, Draft
from bot.conversations.notifications import notify_draft_decided
from bot.conversations.schemas import DecisionOutcome, MessagePublic, ReplyOutcome
from bot.conversations.states import (
    DECISION_OUTCOME,
    MESSAGES_AFTER_DECISION,
    UNANSWERED,
    Decision,
    DraftStatus,
    MessageRole,
    MessageStatus,
    decidable_statuses,
)
from bot.events import AGENTS_TOPIC
from bot.facts import CheckResult, DraftReply
from knowledge_base.repository import record_audit

# An override must say why in at least a short sentence ("The buyer asked for it by phone.").
MIN_OVERRIDE_WORDS = 3
MIN_OVERRIDE_CHARS = 15


@dataclass(frozen=True)
class _Snapshot:
    draft_id: int
    conversation_id: str
    status: DraftStatus
    reply: DraftReply
    buyer_texts: list[str]


def approve_draft(
    ctx: WorkflowContext,
    *,
    draft_id: int,
    actor: str,
    text: str | None = None,
    override_reason: str | None = None,
    may_decide_escalated: bool = False,
    may_override: bool = False,
) -> DecisionOutcome:
    """Send the draft (or the person's edited ``text``) to the buyer.

    Only a lead (``may_override``) may send despite a failed blocking check, and only with a
    reason of at least a sentence; an agent is refused with the failing checks (403) and
    can escalate the draft to a lead.

    An edited text is checked again; a failing blocking check stops the approval unless
    ``override_reason`` says why it is fine. Raises DraftAlreadyDecided, DraftSuperseded,
    DraftEscalated, BlockedByChecks, DraftNotFound, InvalidMessage.
    """
    snapshot = _snapshot(ctx, draft_id=draft_id)
    _refuse_if_closed(snapshot.status, Decision.APPROVE, may_decide_escalated)
    final_text = snapshot.reply.text
    if text is not None:
        candidate = validate_message_text(
            text, max_chars=ctx.config.max_message_chars, what="reply"
        )
        # Browsers send textarea line breaks as CRLF and may trim: that is not an edit.
        if candidate != _normalise(final_text):
            final_text = candidate
    edited = final_text != snapshot.reply.text
    checks: list[CheckResult] = list(snapshot.reply.checks)
    if edited:
        checks = ctx.drafter.recheck(
            final_text, draft=snapshot.reply, buyer_messages=snapshot.buyer_texts
        )
    override = clean_optional_note(override_reason)
    blocking = [c for c in checks if not c.passed and c.severity == "block"]
    failing = {"check_ids": [c.id for c in blocking], "problems": [c.message for c in blocking]}
    if blocking and override is None:
        raise BlockedByChecks(
            "a blocking check failed: fix the text or give a reason to override", **failing
        )
    if blocking and not may_override:
        raise OverrideNotAllowed(
            "only a lead can send a reply that fails a blocking check: fix the text or "
            "escalate the draft to a lead", **failing
        )
    if blocking and override is not None and not _is_a_sentence(override):
        raise InvalidDecision(
            "give a reason of at least a sentence to send despite the failed check"
        )
    now = ctx.clock()
    with ctx.transaction() as session:
        conversation = repo.lock_conversation(session, conversation_id=snapshot.conversation_id)
        sources = decidable_statuses(Decision.APPROVE, may_decide_escalated=may_decide_escalated)
        if not repo.decide_draft(
            session, draft_id=draft_id, from_statuses=sources, to_status=DraftStatus.SENT,
            actor=actor, now=now,
        ):
            raise _why_not(session, draft_id, Decision.APPROVE, may_decide_escalated)
        message = repo.add_message(
            session, conversation_id=conversation.id, role=MessageRole.SELLER, text=final_text,
            status=MessageStatus.SENT, now=now, draft_id=draft_id,
            text_sha256=sha256_text(final_text), approved_by=actor,
        )
        ctx.deliver(session, conversation, message)
        draft = _reload(session, draft_id)
        draft.final_text = final_text
        draft.final_checks = [c.model_dump(mode="json") for c in checks]
        draft.override_reason = override if blocking else None
        draft.decision_note = override if blocking else None
        draft.sent_message_id = message.id
        repo.set_message_status(
            session, message_ids=draft.message_ids, status=MessageStatus.ANSWERED,
            only_from=UNANSWERED,
        )
        conversation.needs_person = False
        conversation.needs_person_reason = None
        repo.refresh_state(session, conversation=conversation, now=now)
        action = "edit_approve" if edited else "approve"
        repo.add_review_event(
            session, conversation_id=conversation.id, draft_id=draft_id, actor=actor,
            action=action, now=now, text_before=snapshot.reply.text, text_after=final_text,
            note=override if blocking else None,
        )
        record_audit(
            session, actor=actor, action=f"draft.{action}", entity_type="draft",
            entity_id=str(draft_id),
            detail={"message_id": message.id, "sha256": message.text_sha256,
                    "overridden_checks": [c.id for c in blocking]},
        )
        sent = public_message(message)
        status = status_of(conversation)
    _after_decision(ctx, draft_id=draft_id, conversation_id=snapshot.conversation_id,
                    status=DraftStatus.SENT, sent=sent)
    publish_status(ctx, status)
    return DecisionOutcome(draft_id=draft_id, status=DraftStatus.SENT.value, message_id=sent.id)


def reject_draft(
    ctx: WorkflowContext, *, draft_id: int, actor: str, reason: str,
    may_decide_escalated: bool = False,
) -> DecisionOutcome:
    """Refuse the draft; the buyer's messages then wait for a reply a person writes."""
    note = clean_optional_note(reason)
    if note is None:
        raise InvalidDecision("say why the draft is rejected", code="reason_required")
    return _decide(ctx, draft_id=draft_id, actor=actor, decision=Decision.REJECT, note=note,
                   may_decide_escalated=may_decide_escalated)


def escalate_draft(
    ctx: WorkflowContext, *, draft_id: int, actor: str, note: str | None = None
) -> DecisionOutcome:
    """Hand the draft to a lead (it leaves the agents' queue, the conversation needs a person)."""
    return _decide(ctx, draft_id=draft_id, actor=actor, decision=Decision.ESCALATE,
                   note=clean_optional_note(note), may_decide_escalated=False)


def mark_no_response_needed(
    ctx: WorkflowContext, *, draft_id: int, actor: str, note: str | None = None,
    may_decide_escalated: bool = False,
) -> DecisionOutcome:
    """Nothing to send (e.g. a thank-you): the buyer's messages count as handled."""
    return _decide(ctx, draft_id=draft_id, actor=actor, decision=Decision.NO_RESPONSE_NEEDED,
                   note=clean_optional_note(note), may_decide_escalated=may_decide_escalated)


def _decide(
    ctx: WorkflowContext, *, draft_id: int, actor: str, decision: Decision,
    note: str | None, may_decide_escalated: bool,
) -> DecisionOutcome:
    target = DECISION_OUTCOME[decision]
    now = ctx.clock()
    snapshot_conversation = _conversation_of(ctx, draft_id=draft_id)
    with ctx.transaction() as session:
        conversation = repo.lock_conversation(session, conversation_id=snapshot_conversation)
        sources = decidable_statuses(decision, may_decide_escalated=may_decide_escalated)
        if not repo.decide_draft(session, draft_id=draft_id, from_statuses=sources,
                                 to_status=target, actor=actor, now=now, note=note):
            raise _why_not(session, draft_id, decision, may_decide_escalated)
        draft = _reload(session, draft_id)
        repo.set_message_status(
            session, message_ids=draft.message_ids, status=MESSAGES_AFTER_DECISION[decision],
            only_from=UNANSWERED,
        )
        if decision is Decision.ESCALATE:
            conversation.needs_person = True
            conversation.needs_person_reason = "escalated"
        repo.refresh_state(session, conversation=conversation, now=now)
        repo.add_review_event(
            session, conversation_id=conversation.id, draft_id=draft_id, actor=actor,
            action=decision.value, now=now, text_before=draft.text, note=note,
        )
        record_audit(session, actor=actor, action=f"draft.{decision.value}",
                     entity_type="draft", entity_id=str(draft_id), detail={"note": note})
        status = status_of(conversation)
    _after_decision(ctx, draft_id=draft_id, conversation_id=conversation.id, status=target)
    publish_status(ctx, status)
    return DecisionOutcome(draft_id=draft_id, status=target.value)


def reply_manually(
    ctx: WorkflowContext, *, conversation_id: str, actor: str, text: str
) -> ReplyOutcome:
    """Deliver a reply a person wrote (after a rejection or a failed draft).

    Any undecided draft of the conversation is superseded by it. One reply per set of
    unanswered buyer messages, whatever the path: when an approval (or another manual
    reply) answered them first, this one is refused with NothingToAnswer (409) instead of
    reaching the buyer as a second reply.
    """
    final_text = validate_message_text(text, max_chars=ctx.config.max_message_chars, what="reply")
    now = ctx.clock()
    with ctx.transaction() as session:
        conversation = repo.lock_conversation(session, conversation_id=conversation_id)
        unanswered = repo.buyer_messages(
            session, conversation_id=conversation_id, statuses=UNANSWERED
        )
        if not unanswered:
            raise NothingToAnswer("the buyer's messages were already answered")
        superseded = repo.supersede_open_drafts(
            session, conversation_id=conversation_id, now=now, actor=actor
        )
        message = repo.add_message(
            session, conversation_id=conversation_id, role=MessageRole.SELLER, text=final_text,
            status=MessageStatus.SENT, now=now, text_sha256=sha256_text(final_text),
            approved_by=actor,
        )
        ctx.deliver(session, conversation, message)
        repo.set_message_status(session, message_ids=ids_of(unanswered),
                                status=MessageStatus.ANSWERED, only_from=UNANSWERED)
        conversation.needs_draft = False
        conversation.queued_at = None
        conversation.needs_person = False
        conversation.needs_person_reason = None
        repo.refresh_state(session, conversation=conversation, now=now)
        repo.add_review_event(session, conversation_id=conversation_id, actor=actor,
                              action="manual_reply", now=now, text_after=final_text)
        record_audit(session, actor=actor, action="conversation.manual_reply",
                     entity_type="conversation", entity_id=conversation_id,
                     detail={"message_id": message.id, "sha256": message.text_sha256})
        sent = public_message(message)
        status = status_of(conversation)
    publish_message(ctx, conversation_id=conversation_id, message=sent)
    publish_status(ctx, status)
    for draft_id in superseded:
        _after_decision(ctx, draft_id=draft_id, conversation_id=conversation_id,
                        status=DraftStatus.SUPERSEDED)
    ctx.publish(topic=AGENTS_TOPIC, type="conversation_updated",
                data={"conversation_id": conversation_id})
    return ReplyOutcome(message_id=sent.id)


def request_redraft(ctx: WorkflowContext, *, conversation_id: str, actor: str) -> None:
    """Queue the unanswered messages for drafting again (e.g. after the LLM came back)."""
    now = ctx.clock()
    with ctx.transaction() as session:
        conversation, superseded = _settle_unanswered(
            session, conversation_id=conversation_id, now=now, actor=actor,
            status=MessageStatus.AWAITING_DRAFT,
        )
        queue_for_drafting(conversation, now=now)
        repo.add_review_event(session, conversation_id=conversation_id, actor=actor,
                              action="redraft", now=now)
    for draft_id in superseded:
        _after_decision(ctx, draft_id=draft_id, conversation_id=conversation_id,
                        status=DraftStatus.SUPERSEDED)
    ctx.publish(topic=AGENTS_TOPIC, type="conversation_updated",
                data={"conversation_id": conversation_id})
    ctx.wake_workers()


def close_without_reply(
    ctx: WorkflowContext, *, conversation_id: str, actor: str, note: str | None = None
) -> None:
    """Mark every unanswered message as needing no response (and supersede open drafts)."""
    cleaned = clean_optional_note(note)
    now = ctx.clock()
    with ctx.transaction() as session:
        conversation, superseded = _settle_unanswered(
            session, conversation_id=conversation_id, now=now, actor=actor,
            status=MessageStatus.NO_RESPONSE_NEEDED,
        )
        conversation.needs_draft = False
        conversation.queued_at = None
        repo.refresh_state(session, conversation=conversation, now=now)
        repo.add_review_event(session, conversation_id=conversation_id, actor=actor,
                              action="close", now=now, note=cleaned)
        record_audit(session, actor=actor, action="conversation.close",
                     entity_type="conversation", entity_id=conversation_id,
                     detail={"note": cleaned})
        status = status_of(conversation)
    publish_status(ctx, status)
    for draft_id in superseded:
        _after_decision(ctx, draft_id=draft_id, conversation_id=conversation_id,
                        status=DraftStatus.SUPERSEDED)
    ctx.publish(topic=AGENTS_TOPIC, type="conversation_updated",
                data={"conversation_id": conversation_id})


def _settle_unanswered(
    session: Session, *, conversation_id: str, now: datetime, actor: str, status: MessageStatus
) -> tuple[Conversation, list[int]]:
    """Lock the conversation, move its unanswered buyer messages to ``status`` and supersede
    its open drafts; returns the conversation and the superseded draft ids."""
    conversation = repo.lock_conversation(session, conversation_id=conversation_id)
    unanswered = repo.buyer_messages(session, conversation_id=conversation_id, statuses=UNANSWERED)
    if not unanswered:
        raise NothingToAnswer("every message of this conversation has been answered")
    superseded = repo.supersede_open_drafts(
        session, conversation_id=conversation_id, now=now, actor=actor
    )
    repo.set_message_status(session, message_ids=ids_of(unanswered), status=status,
                            only_from=UNANSWERED)
    return conversation, superseded


def _is_a_sentence(reason: str) -> bool:
    return len(reason.split()) >= MIN_OVERRIDE_WORDS and len(reason) >= MIN_OVERRIDE_CHARS


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def draft_reply_of(draft: Draft) -> DraftReply:
    """The stored draft as the drafter's reply object (for re-checking an edit)."""
    evidence: dict[str, Any] = dict(draft.evidence or {})
    return DraftReply.model_validate(
        {
            "text": draft.text, "handoff": draft.handoff, "handoff_reason": draft.handoff_reason,
            "confidence": draft.confidence, "intents": draft.intents,
            "language": draft.language, "sentiment": draft.sentiment,
            "citations": draft.citations, "checks": draft.checks, "composer": draft.composer,
            "order": draft.order_facts, "verdicts": draft.verdicts,
            "kb_revisions": draft.kb_revisions,
            "suggest_no_response": draft.suggest_no_response,
            # An edit is checked in the language the draft was written in (a German draft's
            # edit is not read as English); older drafts: the buyer's language.
            "reply_language": evidence.get("reply_language") or draft.language or "en",
            "untranslated_kb_text": evidence.get("untranslated_kb_text") or [],
            # Drafts stored before evidence existed re-check against their order and verdicts.
            "evidence": evidence or {"order": draft.order_facts, "verdicts": draft.verdicts},
        }
    )


def _snapshot(ctx: WorkflowContext, *, draft_id: int) -> _Snapshot:
    with ctx.reading() as session:
        draft = repo.get_draft(session, draft_id=draft_id)
        if draft is None:
            raise DraftNotFound("no such draft")
        texts = [
            m.text
            for m in repo.buyer_messages(session, conversation_id=draft.conversation_id)
            if m.id in set(draft.message_ids)
        ]
        return _Snapshot(draft_id=draft.id, conversation_id=draft.conversation_id,
                         status=DraftStatus(draft.status), reply=draft_reply_of(draft),
                         buyer_texts=texts)


def _conversation_of(ctx: WorkflowContext, *, draft_id: int) -> str:
    with ctx.reading() as session:
        draft = repo.get_draft(session, draft_id=draft_id)
        if draft is None:
            raise DraftNotFound("no such draft")
        return draft.conversation_id


def _reload(session: Session, draft_id: int) -> Draft:
    draft = repo.get_draft(session, draft_id=draft_id)
    if draft is None:  # pragma: no cover - the row was locked and updated just before
        raise DraftNotFound("no such draft")
    session.refresh(draft)
    return draft


def _refuse_if_closed(status: DraftStatus, decision: Decision, may_decide_escalated: bool) -> None:
    """Fail early (before re-running checks); the conditional UPDATE is what guarantees it."""
    if status in decidable_statuses(decision, may_decide_escalated=may_decide_escalated):
        return
    raise _error_for(status, decision, may_decide_escalated)


def _why_not(
    session: Session, draft_id: int, decision: Decision, may_decide_escalated: bool
) -> WorkflowError:
    draft = _reload(session, draft_id)
    return _error_for(DraftStatus(draft.status), decision, may_decide_escalated)


def _error_for(
    status: DraftStatus, decision: Decision, may_decide_escalated: bool
) -> WorkflowError:
    if status is DraftStatus.SUPERSEDED:
        return DraftSuperseded("the buyer wrote again; a newer draft answers everything")
    if (status is DraftStatus.ESCALATED and decision is not Decision.ESCALATE
            and not may_decide_escalated):
        return DraftEscalated("this draft was escalated and waits for a lead")
    return DraftAlreadyDecided(f"this draft was already decided ({status.value})")


def _after_decision(
    ctx: WorkflowContext, *, draft_id: int, conversation_id: str, status: DraftStatus,
    sent: MessagePublic | None = None,
) -> None:
    if sent is not None:
        publish_message(ctx, conversation_id=conversation_id, message=sent)
    ctx.publish(topic=AGENTS_TOPIC, type="draft_decided",
                data={"draft_id": draft_id, "status": status.value,
                      "conversation_id": conversation_id})
    notify_draft_decided(ctx.notifiers, draft_id)

