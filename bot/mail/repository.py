"""All SQL of the mail channel: keyword-only functions that take the session."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.mail.models import InboundMail, MailboxCursor, MailThread, OutboundMail


def find_inbound(session: Session, *, message_id: str) -> InboundMail | None:
    return session.execute(
        select(InboundMail).where(InboundMail.message_id == message_id)
    ).scalar_one_or_none()


def list_inbound(
    session: Session, *, kinds: Collection[str] | None = None, limit: int = 100
) -> list[InboundMail]:
    """Newest first; ``kinds`` like ``{"not_from_amazon", "unparseable"}``."""
    query = select(InboundMail)
    if kinds is not None:
        query = query.where(InboundMail.kind.in_(list(kinds)))
    return list(session.execute(query.order_by(InboundMail.id.desc()).limit(limit)).scalars())


def buyer_mails_of_conversation(session: Session, *, conversation_id: str) -> list[InboundMail]:
    """The relay mails stored as the conversation's buyer messages, oldest first."""
    return list(
        session.execute(
            select(InboundMail)
            .where(
                InboundMail.conversation_id == conversation_id,
                InboundMail.kind == "buyer",
                InboundMail.buyer_message_id.is_not(None),
            )
            .order_by(InboundMail.id)
        ).scalars()
    )


def find_thread(session: Session, *, relay_address: str, order_key: str) -> MailThread | None:
    return session.execute(
        select(MailThread).where(
            MailThread.relay_address_index == relay_address, MailThread.order_key == order_key
        )
    ).scalar_one_or_none()


def thread_of(session: Session, *, conversation_id: str) -> MailThread | None:
    return session.execute(
        select(MailThread).where(MailThread.conversation_id == conversation_id)
    ).scalar_one_or_none()


def newest_buyer_mail(session: Session, *, conversation_id: str) -> InboundMail | None:
    """The buyer's latest mail in the conversation (a reply is threaded to it)."""
    return session.execute(
        select(InboundMail)
        .where(InboundMail.conversation_id == conversation_id, InboundMail.kind == "buyer")
        .order_by(InboundMail.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def find_outbound(session: Session, *, message_id: str) -> OutboundMail | None:
    return session.execute(
        select(OutboundMail).where(OutboundMail.message_id == message_id)
    ).scalar_one_or_none()


def mark_copy_seen(session: Session, *, message_id: str, now: datetime) -> None:
    """Our reply's copy reached the mailbox: proof the server accepted it."""
    session.execute(
        update(OutboundMail)
        .where(OutboundMail.message_id == message_id, OutboundMail.copy_seen_at.is_(None))
        .values(copy_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def claim_next_outbound(session: Session, *, now: datetime) -> OutboundMail | None:
    """The oldest reply due for (re)sending that no live sender holds (SKIP LOCKED on PG)."""
    return session.execute(
        select(OutboundMail)
        .where(OutboundMail.status.in_(["pending", "sending"]))
        .where(or_(OutboundMail.next_attempt_at.is_(None), OutboundMail.next_attempt_at <= now))
        .where(or_(OutboundMail.claim_expires_at.is_(None), OutboundMail.claim_expires_at < now))
        .order_by(OutboundMail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def lock_outbound(session: Session, *, outbound_id: int) -> OutboundMail | None:
    return session.execute(
        select(OutboundMail)
        .where(OutboundMail.id == outbound_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def outbound_of_draft(session: Session, *, draft_id: int) -> OutboundMail | None:
    """The reply by e-mail of an approved draft (one seller message, so one row)."""
    return session.execute(
        select(OutboundMail)
        .where(OutboundMail.draft_id == draft_id)
        .order_by(OutboundMail.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def outbound_of_conversation(session: Session, *, conversation_id: str) -> list[OutboundMail]:
    """Every reply by e-mail in the conversation, oldest first."""
    return list(
        session.execute(
            select(OutboundMail)
            .where(OutboundMail.conversation_id == conversation_id)
            .order_by(OutboundMail.id)
        ).scalars()
    )


def other_failed_outbound(session: Session, *, conversation_id: str, besides: int) -> bool:
    """Whether another reply of the conversation is still undelivered."""
    return (
        session.execute(
            select(OutboundMail.id)
            .where(
                OutboundMail.conversation_id == conversation_id,
                OutboundMail.status == "failed",
                OutboundMail.id != besides,
            )
            .limit(1)
        ).first()
        is not None
    )


def list_outbound(
    session: Session,
    *,
    statuses: Collection[str] | None = None,
    limit: int = 100,
    created_after: datetime | None = None,
) -> list[OutboundMail]:
    """Newest first."""
    query = select(OutboundMail)
    if statuses is not None:
        query = query.where(OutboundMail.status.in_(list(statuses)))
    if created_after is not None:
        query = query.where(OutboundMail.created_at >= created_after)
    return list(session.execute(query.order_by(OutboundMail.id.desc()).limit(limit)).scalars())


def get_cursor(session: Session, *, mailbox: str) -> MailboxCursor | None:
    return session.get(MailboxCursor, mailbox)


def save_cursor(
    session: Session, *, mailbox: str, uid_validity: int, last_uid: int, now: datetime
) -> None:
    cursor = session.get(MailboxCursor, mailbox, with_for_update=True)
    if cursor is None:
        session.add(
            MailboxCursor(
                mailbox=mailbox, uid_validity=uid_validity, last_uid=last_uid, updated_at=now
            )
        )
        return
    if cursor.uid_validity == uid_validity and cursor.last_uid >= last_uid:
        return
    cursor.uid_validity = uid_validity
    cursor.last_uid = last_uid
    cursor.updated_at = now
