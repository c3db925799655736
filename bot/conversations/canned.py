"""Canned replies (macros): short texts a lead maintains, which agents insert into a draft
with a shortcut. Inserted text is an edit like any other: it is checked before sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.conversations.context import WorkflowContext, validate_message_text
from bot.conversations.errors import InvalidMessage
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime

MAX_TITLE_CHARS = 80
MAX_TEXT_CHARS = 2000  # Amazon's limit for a whole reply


class CannedReplyRow(Base):
    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_CHARS), unique=True)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


@dataclass(frozen=True)
class CannedReply:
    id: int
    title: str
    text: str
    updated_by: str
    updated_at: datetime


def canned_replies(ctx: WorkflowContext) -> list[CannedReply]:
    """Every canned reply, by title."""
    with ctx.reading() as session:
        rows = session.execute(select(CannedReplyRow).order_by(CannedReplyRow.title)).scalars()
        return [CannedReply(r.id, r.title, r.text, r.updated_by, r.updated_at) for r in rows]


def save_canned_reply(ctx: WorkflowContext, *, title: str, text: str, actor: str) -> None:
    """Add a canned reply, or replace the text of the one with this title."""
    title = validate_message_text(title, max_chars=MAX_TITLE_CHARS, what="title")
    if "\n" in title:
        raise InvalidMessage("the title must be one line", code="title_multiline")
    text = validate_message_text(text, max_chars=MAX_TEXT_CHARS, what="text")
    now = ctx.clock()
    with ctx.transaction() as session:
        row = session.execute(
            select(CannedReplyRow).where(CannedReplyRow.title == title)
        ).scalar_one_or_none()
        if row is None:
            session.add(CannedReplyRow(title=title, text=text, updated_by=actor, updated_at=now))
        else:
            row.text, row.updated_by, row.updated_at = text, actor, now


def delete_canned_reply(ctx: WorkflowContext, *, canned_id: int) -> None:
    with ctx.transaction() as session:
        session.execute(delete(CannedReplyRow).where(CannedReplyRow.id == canned_id))
