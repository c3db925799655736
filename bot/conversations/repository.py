"""All SQL of the workflow: keyword-only functions that take the session.

Every write path starts with :func:`lock_conversation` (``SELECT … FOR UPDATE``) so writers
of one conversation queue up in the same order — no deadlocks — and decisions are
conditional UPDATEs whose row count tells who won.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from bot.conversations.errors import ConversationNotFound
from bot.conversations.models import Conversation, Draft, Message, ReviewEvent
from bot.conversations.states import (
    OPEN_DRAFTS,
    UNANSWERED,
    DraftStatus,
    MessageRole,
    MessageStatus,
    conversation_state,
)


def get_conversation(session: Session, *, conversation_id: str) -> Conversation | None:
    return session.get(Conversation, conversation_id)


def lock_conversation(session: Session, *, conversation_id: str) -> Conversation:
    """Load and row-lock a conversation for the rest of the transaction."""
    conversation = session.execute(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if conversation is None:
        raise ConversationNotFound("no such conversation")
    return conversation


def find_conversation_by_token(
    session: Session, *, conversation_id: str, token_hash: str
) -> Conversation | None:
    """The conversation only when the token matches (else None: existence is not revealed)."""
    return session.execute(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.token_hash == token_hash
        )
    ).scalar_one_or_none()


def add_conversation(
    session: Session,
    *,
    conversation_id: str,
    token_hash: str,
    channel: str,
    buyer_name: str | None,
    locale: str | None,
    now: datetime,
) -> Conversation:
    conversation = Conversation(
        id=conversation_id, token_hash=token_hash, channel=channel, buyer_name=buyer_name,
        locale=locale, state="new", needs_person=False, created_at=now, updated_at=now,
        needs_draft=False, inbox_version=0, draft_attempts=0,
    )
    session.add(conversation)
    session.flush()
    return conversation


def add_message(
    session: Session,
    *,
    conversation_id: str,
    role: MessageRole,
    text: str,
    status: MessageStatus,
    now: datetime,
    draft_id: int | None = None,
    text_sha256: str | None = None,
    approved_by: str | None = None,
) -> Message:
    message = Message(
        conversation_id=conversation_id, role=role.value, text=text, status=status.value,
        created_at=now, draft_id=draft_id, text_sha256=text_sha256, approved_by=approved_by,
        approved_at=now if approved_by else None,
    )
    session.add(message)
    session.flush()
    return message


def thread(session: Session, *, conversation_id: str, after_id: int | None = None) -> list[Message]:
    """Every message of a conversation, oldest first (optionally only after an id)."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if after_id is not None:
        query = query.where(Message.id > after_id)
    return list(session.execute(query.order_by(Message.id)).scalars())


def buyer_messages(
    session: Session, *, conversation_id: str, statuses: Collection[MessageStatus] | None = None
) -> list[Message]:
    query = select(Message).where(
        Message.conversation_id == conversation_id, Message.role == MessageRole.BUYER.value
    )
    if statuses is not None:
        query = query.where(Message.status.in_([s.value for s in statuses]))
    return list(session.execute(query.order_by(Message.id)).scalars())


def set_message_status(
    session: Session,
    *,
    message_ids: Sequence[int],
    status: MessageStatus,
    only_from: Collection[MessageStatus],
) -> int:
    """Move buyer messages to ``status`` if they are still in one of ``only_from``."""
    if not message_ids:
        return 0
    result = session.execute(
        update(Message)
        .where(Message.id.in_(list(message_ids)))
        .where(Message.status.in_([s.value for s in only_from]))
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def refresh_state(session: Session, *, conversation: Conversation, now: datetime) -> None:
    """Recompute the conversation's state from its buyer messages."""
    statuses = session.execute(
        select(Message.status).where(
            Message.conversation_id == conversation.id, Message.role == MessageRole.BUYER.value
        )
    ).scalars()
    conversation.state = conversation_state(MessageStatus(s) for s in statuses).value
    conversation.updated_at = now


def get_draft(session: Session, *, draft_id: int) -> Draft | None:
    return session.get(Draft, draft_id)


def add_draft(session: Session, **values: Any) -> Draft:
    draft = Draft(**values)
    session.add(draft)
    session.flush()
    return draft


def decide_draft(
    session: Session,
    *,
    draft_id: int,
    from_statuses: Collection[DraftStatus],
    to_status: DraftStatus,
    actor: str,
    now: datetime,
    note: str | None = None,
) -> bool:
    """Conditionally move a draft; False when someone else decided it first."""
    result = session.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.status.in_([s.value for s in from_statuses]))
        .values(status=to_status.value, decided_at=now, decided_by=actor, decision_note=note)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def open_drafts(session: Session, *, conversation_id: str) -> list[Draft]:
    return list(
        session.execute(
            select(Draft).where(
                Draft.conversation_id == conversation_id,
                Draft.status.in_([s.value for s in OPEN_DRAFTS]),
            )
        ).scalars()
    )


def supersede_open_drafts(
    session: Session, *, conversation_id: str, now: datetime, actor: str
) -> list[int]:
    """Mark every undecided draft of the conversation superseded; returns their ids."""
    superseded = []
    for draft in open_drafts(session, conversation_id=conversation_id):
        if decide_draft(
            session, draft_id=draft.id, from_statuses=OPEN_DRAFTS,
            to_status=DraftStatus.SUPERSEDED, actor=actor, now=now,
        ):
            superseded.append(draft.id)
    return superseded


def list_drafts(
    session: Session, *, statuses: Collection[DraftStatus], limit: int = 200,
    after_draft_id: int | None = None,
) -> list[tuple[Draft, Conversation]]:
    """Drafts in the given statuses, soonest deadline first, with their conversations;
    ``after_draft_id``: the previous page's last draft (keyset paging on (due_at, id))."""
    query = (
        select(Draft, Conversation)
        .join(Conversation, Conversation.id == Draft.conversation_id)
        .where(Draft.status.in_([s.value for s in statuses]))
    )
    if after_draft_id is not None:
        due_at = select(Draft.due_at).where(Draft.id == after_draft_id).scalar_subquery()
        query = query.where(
            (Draft.due_at > due_at) | ((Draft.due_at == due_at) & (Draft.id > after_draft_id))
        )
    rows = session.execute(query.order_by(Draft.due_at, Draft.id).limit(limit)).all()
    return [(draft, conversation) for draft, conversation in rows]


def add_review_event(
    session: Session,
    *,
    conversation_id: str,
    actor: str,
    action: str,
    now: datetime,
    draft_id: int | None = None,
    text_before: str | None = None,
    text_after: str | None = None,
    note: str | None = None,
) -> None:
    session.add(
        ReviewEvent(
            conversation_id=conversation_id, draft_id=draft_id, actor=actor, action=action,
            text_before=text_before, text_after=text_after, note=note, created_at=now,
        )
    )


def review_events(session: Session, *, draft_id: int) -> list[ReviewEvent]:
    return list(
        session.execute(
            select(ReviewEvent).where(ReviewEvent.draft_id == draft_id).order_by(ReviewEvent.id)
        ).scalars()
    )


def attention_needed(session: Session) -> list[tuple[Conversation, list[Message]]]:
    """Conversations with messages that need a reply written by a person."""
    conversation_ids = session.execute(
        select(Message.conversation_id)
        .where(
            Message.role == MessageRole.BUYER.value,
            Message.status == MessageStatus.NEEDS_MANUAL_REPLY.value,
        )
        .distinct()
    ).scalars()
    result = []
    for conversation_id in conversation_ids:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            continue
        waiting = buyer_messages(session, conversation_id=conversation_id, statuses=UNANSWERED)
        result.append((conversation, waiting))
    result.sort(key=lambda item: item[1][0].created_at if item[1] else item[0].created_at)
    return result


# --- the drafting queue ---------------------------------------------------------------


def claim_next_conversation(session: Session, *, now: datetime) -> Conversation | None:
    """The oldest conversation waiting for a draft that nobody holds (SKIP LOCKED on PG)."""
    return session.execute(
        select(Conversation)
        .where(Conversation.needs_draft.is_(True))
        .where((Conversation.claim_expires_at.is_(None)) | (Conversation.claim_expires_at < now))
        .where((Conversation.next_attempt_at.is_(None)) | (Conversation.next_attempt_at <= now))
        .order_by(Conversation.queued_at, Conversation.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def clear_claim(conversation: Conversation) -> None:
    conversation.claim_token = None
    conversation.claimed_by = None
    conversation.claim_expires_at = None


def release_claims(session: Session, *, expired_before: datetime | None) -> int:
    """Drop claims (all of them, or those whose lease ended before ``expired_before``)."""
    query = update(Conversation).where(Conversation.claim_token.is_not(None))
    if expired_before is not None:
        query = query.where(Conversation.claim_expires_at < expired_before)
    result = session.execute(
        query.values(claim_token=None, claimed_by=None, claim_expires_at=None).execution_options(
            synchronize_session=False
        )
    )
    return _rowcount(result)


def requeue_orphans(session: Session, *, now: datetime) -> int:
    """Queue conversations whose buyer messages wait for a draft but are not queued."""
    waiting = (
        select(Message.conversation_id)
        .where(
            Message.role == MessageRole.BUYER.value,
            Message.status == MessageStatus.AWAITING_DRAFT.value,
        )
        .distinct()
    )
    result = session.execute(
        update(Conversation)
        .where(Conversation.id.in_(waiting), Conversation.needs_draft.is_(False))
        .values(needs_draft=True, queued_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def queue_length(session: Session) -> int:
    """How many conversations wait for a draft (claimed or not)."""
    return int(
        session.execute(
            select(func.count()).select_from(Conversation).where(
                Conversation.needs_draft.is_(True)
            )
        ).scalar_one()
    )


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)
