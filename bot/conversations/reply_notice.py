""""Tell me when you've answered": an e-mail address a widget buyer may leave (issue 18).

Stored encrypted, one per conversation (a new one replaces the old), shown to the agent.
Nothing is sent from here: a channel that can send mail reads :func:`notice_email_of` when a
reply is delivered.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.conversations.errors import InvalidMessage
from bot.protection.crypto import EncryptedText
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime

# Deliberately simple: one @, a dot in the domain, no spaces; the mail server has the last word.
_EMAIL = re.compile(r"^[^@\s<>,;\"']{1,64}@[^@\s<>,;\"']+\.[^@\s<>,;\"'.]{2,}$")


class ReplyNotice(Base):
    __tablename__ = "reply_notices"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InvalidEmail(InvalidMessage):
    code = "invalid_notice_email"
    status = 422


def clean_email(value: str) -> str:
    email = value.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidEmail("that does not look like an e-mail address")
    return email


def set_notice_email(session: Session, *, conversation_id: str, email: str, now: datetime) -> None:
    notice = session.get(ReplyNotice, conversation_id)
    if notice is None:
        session.add(ReplyNotice(conversation_id=conversation_id, email=email, created_at=now))
    else:
        notice.email, notice.created_at, notice.notified_at = email, now, None


def notice_email_of(session: Session, *, conversation_id: str) -> str | None:
    notice = session.get(ReplyNotice, conversation_id)
    return notice.email if notice is not None else None
