"""Tables of the workflow: conversations, messages, drafts and the review trail.

Buyer text, names and what agents wrote about it are encrypted at rest (``EncryptedText``,
bot/protection/crypto.py): never filter or sort on those columns in SQL.

Statuses are the strings of :mod:`bot.conversations.states`; only that module decides which
moves are allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.protection.crypto import EncryptedJSON, EncryptedText
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime


class Conversation(Base):
    """A buyer's thread on one channel; also the drafting work queue (one claim per thread)."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default="widget")
    buyer_name: Mapped[str | None] = mapped_column(EncryptedText(sqlite_length=120), nullable=True)
    locale: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # sha256 of the buyer's access token; the token itself is shown once, at creation.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="new")
    needs_person: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_person_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    # The drafting queue. ``inbox_version`` grows with every buyer message so a draft
    # finished after a newer message arrived is recognised as stale and not stored.
    needs_draft: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    inbox_version: Mapped[int] = mapped_column(Integer, default=0)
    draft_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Message(Base):
    """One message in a thread: the buyer's, an approved seller reply, or a system note."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(EncryptedText())
    status: Mapped[str] = mapped_column(String(30), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # Delivery record of a seller message: who approved exactly which text, when. The
    # unique draft_id means one draft can never produce two outgoing messages.
    draft_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Draft(Base):
    """A proposed reply with everything it was based on (ARCHITECTURE §4)."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    # The newest buyer message answered; ``message_ids`` lists every one, oldest first.
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(30), index=True)
    text: Mapped[str] = mapped_column(EncryptedText())
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    handoff_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    language: Mapped[str] = mapped_column(String(20), default="en")
    sentiment: Mapped[str] = mapped_column(String(20), default="neutral")
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    order_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    verdicts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kb_revisions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The cited passages, buyer name, order facts and verdicts the draft was built on
    # (bot.facts.DraftEvidence): an agent's edit is re-checked against exactly these.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON(sqlite_declared_json=True), nullable=True
    )
    # The buyer only thanked us: the console offers "no response needed" first.
    suggest_no_response: Mapped[bool] = mapped_column(Boolean, default=False)
    composer: Mapped[str] = mapped_column(String(80), default="offline")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The reply deadline: the oldest unanswered buyer message + reply_deadline_hours.
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    # What was actually sent (an agent's edit) and the checks re-run on it.
    final_text: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    final_checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    override_reason: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    sent_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ReviewEvent(Base):
    """One human (or system) action on a conversation or draft, with text before/after."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    draft_id: Mapped[int | None] = mapped_column(
        ForeignKey("drafts.id", ondelete="CASCADE"), nullable=True, index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    text_before: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    text_after: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    note: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class IdempotencyKey(Base):
    """A buyer request made with an ``Idempotency-Key``, and the answer it got.

    A retry with the same key and body gets the stored answer instead of acting twice; a
    row without ``status_code`` is a request still in progress. Only a hash of the request
    is kept (buyer text stays in ``messages``); rows go with their conversation.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("conversation_id", "key", name="uq_idempotency_keys_conversation_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
