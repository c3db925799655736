"""Article schemas by direction: what comes in (create/update) and what goes out (public)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_QUESTIONS = 10
MAX_BODY_CHARS = 200_000


def _clean_list(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        text = " ".join(str(value).split())
        if text and text not in seen:
            seen.append(text)
    return seen


class ArticleContent(BaseModel):
    """The editable content of an article: title, Markdown body and front matter."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    intents: list[str] = Field(default_factory=list, max_length=20)
    questions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=30)
    locale: str = Field(default="en", min_length=2, max_length=20, pattern=r"^[A-Za-z_-]+$")

    @field_validator("intents", "tags")
    @classmethod
    def _normalise_labels(cls, values: list[str]) -> list[str]:
        return _clean_list(values)

    @field_validator("questions")
    @classmethod
    def _at_most_ten_questions(cls, values: list[str]) -> list[str]:
        cleaned = _clean_list(values)
        if len(cleaned) > MAX_QUESTIONS:
            raise ValueError(f"at most {MAX_QUESTIONS} example questions, got {len(cleaned)}")
        return cleaned

    def content_hash(self) -> str:
        """A stable hash of everything that affects retrieval (decides re-embedding)."""
        fields = self.model_dump(include=set(ArticleContent.model_fields))
        payload = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ArticleCreate(ArticleContent):
    """A new article; ``id`` is derived from the title when not given."""

    id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,119}$")


class ArticleUpdate(ArticleContent):
    """An edit, based on the revision the editor saw (stale → revision_conflict)."""

    revision: int = Field(ge=1)


class ArticlePublic(BaseModel):
    """An article as the API and editor show it (the latest revision)."""

    id: str
    revision: int
    published_revision: int | None
    status: Literal["draft", "published", "unpublished"]
    title: str
    body: str
    intents: list[str]
    questions: list[str]
    tags: list[str]
    locale: str
    updated_by: str
    updated_at: datetime


class RevisionPublic(BaseModel):
    """One revision in an article's history."""

    revision: int
    title: str
    body: str
    intents: list[str]
    questions: list[str]
    tags: list[str]
    locale: str
    updated_by: str
    updated_at: datetime
    note: str


class PublishedRevision(BaseModel):
    """The published content of one article, as the search index needs it."""

    article_id: str
    revision: int
    title: str
    body: str
    intents: list[str]
    questions: list[str]
    tags: list[str]
    locale: str
    content_hash: str
