"""Tables of the editor: article-change suggestions made from agents' edits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.protection.crypto import EncryptedText
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime

SUGGESTION_STATUSES = ("open", "accepted", "dismissed")


class KbSuggestion(Base):
    """A proposed article change taken from one approved, substantially edited draft.

    ``changes`` holds sentence-level edits (see :mod:`bot.kb_editor.suggestions`), applied to
    the article's newest revision on acceptance; ``base_revision`` is the one the draft cited.
    """

    __tablename__ = "kb_suggestions"
    __table_args__ = (UniqueConstraint("draft_id", "article_id", name="uq_kb_suggestions_draft"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    base_revision: Mapped[int] = mapped_column(Integer)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The reply before and after the agent's edit (buyer names inside): encrypted at rest.
    draft_text: Mapped[str] = mapped_column(EncryptedText())
    final_text: Mapped[str] = mapped_column(EncryptedText())
    change_ratio: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    accepted_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)


class KbScannedDraft(Base):
    """A sent draft already looked at for suggestions (so each is considered once)."""

    __tablename__ = "kb_scanned_drafts"

    draft_id: Mapped[int] = mapped_column(
        ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True
    )
    scanned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    suggestions: Mapped[int] = mapped_column(Integer, default=0)
