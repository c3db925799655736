"""Tables of the knowledge base: articles, their immutable revisions, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime

ARTICLE_STATUSES = ("draft", "published", "unpublished")


class Article(Base):
    """A knowledge-base article; its content lives in numbered, never-edited revisions."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    latest_revision: Mapped[int] = mapped_column(Integer, default=1)
    # The revision buyers' drafts are grounded on; None until first published.
    published_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="system")

    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        order_by="ArticleRevision.number",
    )


class ArticleRevision(Base):
    """One immutable version of an article's title, body and front matter."""

    __tablename__ = "article_revisions"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(20), default="en")
    translation_of: Mapped[str | None] = mapped_column(String(120), nullable=True)
    source_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="system")

    article: Mapped[Article] = relationship(back_populates="revisions")


class AuditLog(Base):
    """Who did what to which record, when; written in the same transaction as the change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class LearnedQuestion(Base):
    """A buyer's question an agent answered with this article (an approved draft cited it
    first): indexed like the article's own example questions, so the next buyer who asks
    the same way finds the article. Only PII-free text is kept (see bot/learning.py)."""

    __tablename__ = "learned_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(300))
    learned_from: Mapped[str] = mapped_column(String(80))  # e.g. "draft:42"
    approved_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
