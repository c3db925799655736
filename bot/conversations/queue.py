"""The drafting queue: claim a conversation, store its draft, or record a failure.

Exactly one draft per batch of buyer messages, even across crashes and several workers:

* a claim is a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) that stamps a
  random ``claim_token`` and a lease, and counts the attempt;
* drafting runs outside any transaction;
* storing is a short transaction that keeps the draft only if the claim is still ours and
  no newer buyer message arrived (``inbox_version``) — otherwise the work is redone;
* while drafting, the worker's heartbeat renews the lease (:func:`renew_claim`), so the
  lease can be short: a crash stops the heartbeat and the lease expires within
  ``worker_lease_seconds`` (or, in the embedded single-worker mode, is cleared at start-up),
  so the messages are drafted later, once.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

from sqlalchemy import update

from bot.conversations import repository as repo
from bot.conversations.context import WorkflowContext, ids_of
from bot.conversations.inbox import publish_status, status_of
from bot.conversations.models import Conversation
from bot.conversations.notifications import notify_draft_decided, notify_draft_ready
from bot.conversations.order_bindings import bound_order_ids
from bot.conversations.schemas import DraftJob
from bot.conversations.states import (
    DraftStatus,
    MessageStatus,
)
from bot.drafting.interface import DraftRequest
from bot.events import AGENTS_TOPIC
from bot.facts import DraftReply
from knowledge_base.repository import record_audit

log = logging.getLogger(__name__)

_ORDER_ID = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")


def claim_next_job(ctx: WorkflowContext, *, worker_id: str) -> DraftJob | None:
    """Claim the oldest conversation waiting for a draft, or None when there is no work."""
    now = ctx.clock()
    with ctx.transaction() as session:
        while True:
            conversation = repo.claim_next_conversation(session, now=now)
            if conversation is None:
                return None
            waiting = repo.buyer_messages(
                session, conversation_id=conversation.id,
                statuses=[MessageStatus.AWAITING_DRAFT],
            )
            if waiting:
                break
            # Queued with nothing to draft (answered by hand meanwhile): drop it, look again.
            _dequeue(conversation)
        token = uuid.uuid4().hex
        conversation.claim_token = token
        conversation.claimed_by = worker_id[:120]
        conversation.claim_expires_at = now + timedelta(seconds=ctx.config.worker_lease_seconds)
        conversation.draft_attempts += 1
        earlier = repo.buyer_messages(session, conversation_id=conversation.id)
        waiting_ids = set(ids_of(waiting))
        order_ids = list(dict.fromkeys(
            found for m in earlier if m.id not in waiting_ids for found in _ORDER_ID.findall(m.text)
        ))
        return DraftJob(
            conversation_id=conversation.id,
            claim_token=token,
            inbox_version=conversation.inbox_version,
            attempt=conversation.draft_attempts,
            message_ids=ids_of(waiting),
            request=DraftRequest(
                buyer_messages=[m.text for m in waiting],
                buyer_name=conversation.buyer_name,
                conversation_id=conversation.id,
                earlier_order_ids=tuple(order_ids),
                locale=conversation.locale,
                bound_order_ids=tuple(bound_order_ids(
                    session, conversation_id=conversation.id,
                    binder=ctx.order_binders.get(conversation.channel),
                )),
                channel=conversation.channel,
            ),
        )


def renew_claim(ctx: WorkflowContext, job: DraftJob) -> bool:
    """Extend the job's lease by ``worker_lease_seconds`` from now (the worker's heartbeat);
    False when the claim is no longer ours (stored, failed, or expired and retaken)."""
    expires_at = ctx.clock() + timedelta(seconds=ctx.config.worker_lease_seconds)
    with ctx.transaction() as session:
        # One conditional UPDATE: no row lock held while the draft is being written.
        renewed = session.execute(
            update(Conversation)
            .where(Conversation.id == job.conversation_id,
                   Conversation.claim_token == job.claim_token)
            .values(claim_expires_at=expires_at)
            .execution_options(synchronize_session=False)
        )
    return bool(getattr(renewed, "rowcount", 0))


def store_draft(ctx: WorkflowContext, job: DraftJob, reply: DraftReply) -> int | None:
    """Keep the draft if the claim still holds; returns its id (None: stale, redone later)."""
    now = ctx.clock()
    superseded: list[int] = []
    with ctx.transaction() as session:
        conversation = repo.lock_conversation(session, conversation_id=job.conversation_id)
        if conversation.claim_token != job.claim_token:
            log.info("claim on %s lost; draft discarded", job.conversation_id)
            return None
        if conversation.inbox_version != job.inbox_version:
            # The buyer wrote again while we drafted: redo with the whole thread. This was
            # not a failure, so it does not use up an attempt.
            repo.clear_claim(conversation)
            conversation.draft_attempts = max(0, conversation.draft_attempts - 1)
            return None
        waiting = [
            m for m in repo.buyer_messages(session, conversation_id=job.conversation_id)
            if m.id in set(job.message_ids)
        ]
        oldest = min(m.created_at for m in waiting)
        superseded = repo.supersede_open_drafts(
            session, conversation_id=job.conversation_id, now=now, actor="system"
        )
        draft = repo.add_draft(
            session,
            conversation_id=job.conversation_id,
            message_id=max(job.message_ids),
            message_ids=list(job.message_ids),
            status=DraftStatus.PENDING_REVIEW.value,
            text=reply.text,
            handoff=reply.handoff,
            handoff_reason=(reply.handoff_reason or None) and reply.handoff_reason[:200],
            confidence=float(reply.confidence),
            language=reply.language[:20],
            sentiment=reply.sentiment[:20],
            intents=list(reply.intents),
            citations=[c.model_dump(mode="json") for c in reply.citations],
            checks=[c.model_dump(mode="json") for c in reply.checks],
            order_facts=reply.order.model_dump(mode="json") if reply.order else None,
            verdicts=[v.model_dump(mode="json") for v in reply.verdicts],
            kb_revisions=dict(reply.kb_revisions),
            evidence=reply.evidence.model_dump(mode="json"),
            suggest_no_response=reply.suggest_no_response,
            composer=reply.composer[:80],
            created_at=now,
            due_at=oldest + timedelta(hours=ctx.config.reply_deadline_hours),
        )
        repo.set_message_status(
            session, message_ids=job.message_ids, status=MessageStatus.DRAFTED,
            only_from=[MessageStatus.AWAITING_DRAFT],
        )
        _dequeue(conversation)
        repo.add_review_event(session, conversation_id=job.conversation_id, draft_id=draft.id,
                              actor="bot", action="draft", now=now, text_after=reply.text)
        record_audit(session, actor="bot", action="draft.create", entity_type="draft",
                     entity_id=str(draft.id),
                     detail={"messages": list(job.message_ids), "composer": reply.composer})
        draft_id = draft.id
        due_at = draft.due_at
    for old in superseded:
        ctx.publish(topic=AGENTS_TOPIC, type="draft_decided",
                    data={"draft_id": old, "status": "superseded",
                          "conversation_id": job.conversation_id})
        notify_draft_decided(ctx.notifiers, old)
    ctx.publish(topic=AGENTS_TOPIC, type="draft_created",
                data={"draft_id": draft_id, "conversation_id": job.conversation_id,
                      "due_at": due_at.isoformat()})
    notify_draft_ready(ctx.notifiers, draft_id)
    return draft_id


def record_failure(ctx: WorkflowContext, job: DraftJob, *, error: str) -> bool:
    """Note a failed attempt: retry later with backoff, or park the messages for a person.

    Returns True when the messages were parked as ``needs_manual_reply``.
    """
    now = ctx.clock()
    with ctx.transaction() as session:
        conversation = repo.lock_conversation(session, conversation_id=job.conversation_id)
        if conversation.claim_token != job.claim_token:
            return False
        repo.clear_claim(conversation)
        conversation.last_error = error[:500]
        if conversation.draft_attempts < ctx.config.worker_max_attempts:
            conversation.next_attempt_at = now + timedelta(
                seconds=retry_delay(ctx, attempt=conversation.draft_attempts)
            )
            return False
        waiting = repo.buyer_messages(session, conversation_id=job.conversation_id,
                                      statuses=[MessageStatus.AWAITING_DRAFT])
        repo.set_message_status(session, message_ids=ids_of(waiting),
                                status=MessageStatus.NEEDS_MANUAL_REPLY,
                                only_from=[MessageStatus.AWAITING_DRAFT])
        _dequeue(conversation, keep_error=True)
        conversation.needs_person = True
        conversation.needs_person_reason = "drafting_failed"
        repo.add_review_event(session, conversation_id=job.conversation_id, actor="bot",
                              action="drafting_failed", now=now, note=error[:500])
        status = status_of(conversation)
    publish_status(ctx, status)
    ctx.publish(topic=AGENTS_TOPIC, type="needs_manual_reply",
                data={"conversation_id": job.conversation_id})
    return True


def retry_delay(ctx: WorkflowContext, *, attempt: int) -> float:
    """Exponential backoff: base, 2×base, 4×base … capped."""
    delay = ctx.config.worker_retry_base_seconds * (2 ** max(0, attempt - 1))
    return float(min(delay, ctx.config.worker_retry_max_seconds))


def resume_after_restart(ctx: WorkflowContext, *, release_all_claims: bool) -> int:
    """Make sure every ``awaiting_draft`` message is queued and claimable again.

    ``release_all_claims`` is for the embedded single-worker mode: any claim in the database
    was held by a previous run of this very process, which is gone.
    """
    now = ctx.clock()
    with ctx.transaction() as session:
        released = repo.release_claims(
            session, expired_before=None if release_all_claims else now
        )
        requeued = repo.requeue_orphans(session, now=now)
    if released or requeued:
        log.info("resumed drafting: %d claims released, %d conversations re-queued",
                 released, requeued)
    return released + requeued


def queue_length(ctx: WorkflowContext) -> int:
    with ctx.reading() as session:
        return repo.queue_length(session)


def _dequeue(conversation: Conversation, *, keep_error: bool = False) -> None:
    conversation.needs_draft = False
    conversation.queued_at = None
    conversation.draft_attempts = 0
    conversation.next_attempt_at = None
    if not keep_error:
        conversation.last_error = None
    repo.clear_claim(conversation)
