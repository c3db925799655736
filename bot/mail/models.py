"""Tables of the mail channel: relay threads, every inbound mail, the outbox, the cursor.

Buyer text lives in ``messages`` (bot.conversations); raw mails and attachments are files
under the data dir, referenced here by path. Addresses, subjects and bodies are encrypted at
rest (bot/protection/crypto.py); a thread is found by its relay address's blind index.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from bot.protection.crypto import BlindIndex, EncryptedText
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime


class MailThread(Base):
    """One conversation per relay address and order (``order_key`` is "" without an order)."""

    __tablename__ = "mail_threads"
    __table_args__ = (
        UniqueConstraint(
            "relay_address_index", "order_key", name="uq_mail_threads_relay_address_index"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    relay_address: Mapped[str] = mapped_column(EncryptedText(sqlite_length=320))
    # The keyed HMAC of relay_address, kept equal to it by ``_index_relay_address``:
    # look a thread up with ``MailThread.relay_address_index == address``.
    relay_address_index: Mapped[str] = mapped_column(BlindIndex("relay_address"))
    order_key: Mapped[str] = mapped_column(String(40))
    marketplace: Mapped[str | None] = mapped_column(String(40), nullable=True)
    asin: Mapped[str | None] = mapped_column(String(20), nullable=True)
    subject: Mapped[str] = mapped_column(EncryptedText(sqlite_length=998), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    @validates("relay_address")
    def _index_relay_address(self, _key: str, address: str) -> str:
        self.relay_address_index = address  # BlindIndex stores its HMAC
        return address


class InboundMail(Base):
    """Every mail read from the mailbox or a file, once (unique ``Message-ID``).

    ``kind`` is ``buyer`` (a relay message stored in a conversation), ``not_from_amazon``
    (kept apart, never drafted), ``unparseable`` (kept raw for a person) or ``own_copy``
    (our own reply, copied to the mailbox: proof it was sent).
    """

    __tablename__ = "mail_inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    from_address: Mapped[str | None] = mapped_column(
        EncryptedText(sqlite_length=320), nullable=True
    )
    subject: Mapped[str] = mapped_column(EncryptedText(sqlite_length=998), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(200))
    raw_path: Mapped[str] = mapped_column(String(500))
    raw_bytes: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    buyer_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    order_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"filename", "content_type", "size", "sha256", "path"}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class OutboundMail(Base):
    """A reply to send by SMTP, written in the approval's transaction (one per seller message).

    ``status``: ``pending`` → ``sending`` (committed before talking to the server) → ``sent``;
    or ``failed`` (permanent, shown to a person). A row left ``sending`` by a crash is in
    doubt: it is sent again only when the mailbox shows no copy of it (``copy_seen_at``).
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seller_message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    draft_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    to_address: Mapped[str] = mapped_column(EncryptedText(sqlite_length=320))
    subject: Mapped[str] = mapped_column(EncryptedText(sqlite_length=998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998), nullable=True)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    body: Mapped[str] = mapped_column(EncryptedText())
    # Documents the agent attached at approval (migration 0014):
    # [{"filename", "content_type", "size", "sha256", "path"}]; None: plain text only.
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    send_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    copy_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    server_reply: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class MailboxCursor(Base):
    """How far the poller has read a folder (IMAP UIDs are only valid per UIDVALIDITY)."""

    __tablename__ = "mail_cursors"

    mailbox: Mapped[str] = mapped_column(String(500), primary_key=True)
    # Both are unsigned 32-bit numbers in IMAP: too large for a signed INTEGER.
    uid_validity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
