"""When buyer data falls due: the retention clock of conversations and orders.

Amazon's Data Protection Policy lets a seller keep buyer PII at most 30 days after the
order's delivery, so the period is configurable per seller only downwards
(``DRAFTDESK_RETENTION_DAYS``, 1–30). A conversation falls due ``days`` after its order was
delivered, or after its last activity when it has no delivered order; one still waiting for
a person is never purged under the agent's hands — it falls due at the first run after it is
answered or closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Draft, Message
from bot.conversations.order_bindings import OrderBinding
from bot.conversations.states import OPEN_DRAFTS, UNANSWERED
from bot.mail.models import InboundMail, MailThread
from bot.orders.models import Order
from bot.privacy.errors import RetentionTooLong
from bot.privacy.models import PrivacyErasure

MAX_RETENTION_DAYS = 30


@dataclass(frozen=True)
class RetentionPolicy:
    """How long buyer data is kept (days after delivery or last activity)."""

    days: int = MAX_RETENTION_DAYS

    def __post_init__(self) -> None:
        if not 1 <= self.days <= MAX_RETENTION_DAYS:
            raise RetentionTooLong(
                f"the retention period must be 1 to {MAX_RETENTION_DAYS} days (Amazon's Data "
                f"Protection Policy), not {self.days}"
            )

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.days)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def conversation_order_ids(session: Session, *, conversation_id: str) -> set[str]:
    """Orders a conversation is about: bound ones, its relay thread's and its drafts' facts."""
    ids = set(
        session.scalars(
            select(OrderBinding.order_id).where(OrderBinding.conversation_id == conversation_id)
        )
    )
    thread = session.scalars(
        select(MailThread).where(MailThread.conversation_id == conversation_id)
    ).first()
    if thread is not None and thread.order_key:
        ids.add(thread.order_key)
    for facts in session.scalars(
        select(Draft.order_facts).where(Draft.conversation_id == conversation_id)
    ):
        if facts and facts.get("order_id"):
            ids.add(str(facts["order_id"]))
    return ids


def _delivered_on(session: Session, order_ids: Iterable[str]) -> date | None:
    days = [
        order.delivered_at
        for order_id in order_ids
        if (order := session.get(Order, order_id)) is not None and order.delivered_at
    ]
    return max(days) if days else None


def waiting_for_a_person(session: Session, *, conversation: Conversation) -> bool:
    """Queued for drafting, a draft under review, or a buyer message not yet answered."""
    if conversation.needs_draft or conversation.needs_person:
        return True
    open_draft = session.scalar(
        select(func.count())
        .select_from(Draft)
        .where(
            Draft.conversation_id == conversation.id,
            Draft.status.in_([s.value for s in OPEN_DRAFTS]),
        )
    )
    unanswered = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.status.in_([s.value for s in UNANSWERED]),
        )
    )
    return bool(open_draft or unanswered)


def last_activity(session: Session, *, conversation: Conversation) -> datetime:
    newest_message = session.scalar(
        select(func.max(Message.created_at)).where(Message.conversation_id == conversation.id)
    )
    moments = [conversation.updated_at, conversation.created_at]
    if newest_message is not None:
        moments.append(newest_message)
    return max(_aware(m) for m in moments)


def due_conversations(session: Session, *, policy: RetentionPolicy, now: datetime) -> list[str]:
    """Conversations whose buyer data is due for purging and not purged since their last
    activity (oldest first)."""
    purged_at: dict[str | None, datetime] = {
        conversation_id: when
        for conversation_id, when in session.execute(
            select(PrivacyErasure.conversation_id, func.max(PrivacyErasure.created_at))
            .where(PrivacyErasure.conversation_id.is_not(None))
            .group_by(PrivacyErasure.conversation_id)
        )
    }
    cutoff = now - policy.period
    due: list[str] = []
    for conversation in session.scalars(select(Conversation).order_by(Conversation.created_at)):
        activity = last_activity(session, conversation=conversation)
        last_purge = purged_at.get(conversation.id)
        if last_purge is not None and _aware(last_purge) >= activity:
            continue
        delivered = _delivered_on(
            session, conversation_order_ids(session, conversation_id=conversation.id)
        )
        reference = _start_of(delivered) if delivered is not None else activity
        if reference > cutoff or waiting_for_a_person(session, conversation=conversation):
            continue
        due.append(conversation.id)
    return due


def due_orders(
    session: Session, *, policy: RetentionPolicy, now: datetime, keep: set[str]
) -> list[str]:
    """Orders delivered (or, never delivered, bought) more than the period ago, except those
    in ``keep`` (orders of conversations still waiting for a person)."""
    cutoff = (now - policy.period).date()
    candidates = session.scalars(select(Order).where(Order.purchase_date < cutoff))
    return [
        order.order_id
        for order in candidates
        if (order.delivered_at or order.estimated_delivery or order.purchase_date) < cutoff
        and order.order_id not in keep
    ]


def orders_of_waiting_conversations(session: Session) -> set[str]:
    """Orders still needed: those of conversations waiting for a person."""
    keep: set[str] = set()
    for conversation in session.scalars(
        select(Conversation).where(Conversation.state != "answered")
    ):
        if waiting_for_a_person(session, conversation=conversation):
            keep |= conversation_order_ids(session, conversation_id=conversation.id)
    return keep


def due_kept_aside_mail(session: Session, *, policy: RetentionPolicy, now: datetime) -> list[int]:
    """Mails that became no conversation (not from Amazon, unreadable, our own copies),
    received more than the period ago and not yet emptied."""
    return list(
        session.scalars(
            select(InboundMail.id).where(
                InboundMail.conversation_id.is_(None),
                InboundMail.received_at < now - policy.period,
                InboundMail.raw_path != "",  # emptied ones are done
            )
        )
    )
