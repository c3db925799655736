"""Tables of the Slack desk: where each draft's card lives, the actions inbox, summaries.

``slack_cards`` is also an outbox: a card not yet posted (or showing an outdated status)
is retried by the scheduler, so a Slack outage delays the card but never loses it.
``slack_actions`` records each button click or modal submission once, by a key derived
from the payload, so a payload Slack delivers twice is applied once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.protection.crypto import EncryptedText
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime


class SlackCard(Base):
    """The review card of one draft: channel and ``ts`` once posted, what it shows."""

    __tablename__ = "slack_cards"

    draft_id: Mapped[int] = mapped_column(
        ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The conversation's first card: later drafts are posted as replies in its thread.
    thread_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # The draft status the card shows (None until posted; "skipped" when decided before
    # Slack ever saw it). A difference with the draft's status means an update is owed.
    shown_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # One worker at a time posts or updates a card (several processes may run the desk).
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reminders_sent: Mapped[list[float]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SlackAction(Base):
    """A decision taken in Slack, recorded before it is applied (and applied once)."""

    __tablename__ = "slack_actions"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    draft_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(30))
    text: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)  # reply or reason
    channel: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    outcome: Mapped[str | None] = mapped_column(String(60), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class SlackSummary(Base):
    """One daily summary per UTC day (claimed by inserting the row)."""

    __tablename__ = "slack_summaries"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD
    channel: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
