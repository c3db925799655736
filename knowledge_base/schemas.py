"""Article schemas by direction: what comes in (create/update) and what goes out (public)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field, field_validator

MAX_QUESTIONS = 10
MAX_BODY_CHARS = 200_000
ARTICLE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,119}$"


def _clean_list(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        text = " ".join(str(value).split())
        if text and text not in seen:
            seen.append(text)
    return seen


class ArticleFields(BaseModel):
    """Title, Markdown body and front matter: the fields every article schema shares.

    ``from_attributes`` lets a revision row be validated directly
    (``RevisionPublic.model_validate(row)``) instead of being copied field by field.
    """

    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    intents: list[str] = Field(default_factory=list, max_length=20)
    questions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=30)
    locale: str = Field(default="en", min_length=2, max_length=20, pattern=r"^[A-Za-z_-]+$")
    # A translation names the article it translates and the source revision it was made
    # from (a newer source revision makes it stale); both None for an original article.
    translation_of: str | None = Field(default=None, pattern=ARTICLE_ID_PATTERN)
    source_revision: int | None = Field(default=None, ge=1)

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


class ArticleContent(ArticleFields):
    """The editable content of an article as it comes in (unknown fields are refused)."""

    model_config = ConfigDict(extra="forbid")

    def content_hash(self) -> str:
        """A stable hash of everything that affects retrieval (decides re-embedding).

        ``source_revision`` is bookkeeping, not content: re-importing an unchanged
        translation is not a new revision. An original article leaves ``translation_of``
        out, so its hash is the one it had before translations existed.
        """
        fields = self.model_dump(include=set(ArticleFields.model_fields) - {"source_revision"})
        if fields["translation_of"] is None:
            del fields["translation_of"]
        payload = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ArticleCreate(ArticleContent):
    """A new article; ``id`` is derived from the title when not given."""

    id: str | None = Field(default=None, pattern=ARTICLE_ID_PATTERN)


class ArticleUpdate(ArticleContent):
    """An edit, based on the revision the editor saw (stale → revision_conflict)."""

    revision: int = Field(ge=1)


# A revision row calls it ``number``; the schemas (and the JSON) call it ``revision``.
RevisionNumber = Annotated[int, Field(validation_alias=AliasChoices("revision", "number"))]


def _of_article(name: str) -> AliasChoices:
    """Read ``name`` from the revision row's article when validating a row."""
    return AliasChoices(name, AliasPath("article", name))


class _Public(BaseModel):
    # Every field of an outgoing article is always present, defaults or not.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class _ArticleState(_Public):
    # A base of ArticlePublic only so that these fields lead its JSON, as they always have.
    id: str = Field(validation_alias=AliasChoices("id", "article_id"))
    revision: RevisionNumber
    published_revision: int | None = Field(validation_alias=_of_article("published_revision"))
    status: Literal["draft", "published", "unpublished"] = Field(
        validation_alias=_of_article("status")
    )


class ArticlePublic(ArticleFields, _ArticleState):
    """An article as the API and editor show it: its newest revision.

    Validated from that revision row: ``ArticlePublic.model_validate(article.revisions[-1])``.
    """

    updated_by: str = Field(validation_alias=_of_article("updated_by"))
    updated_at: datetime = Field(validation_alias=_of_article("updated_at"))
    # Computed, not stored: a revision row has no such attribute, so validating one gives
    # False; whoever has the session sets it (``bot.kb_editor.articles.public_article``).
    stale: bool = Field(
        default=False,
        description="A translation whose source article has a newer revision than "
        "`source_revision`, the one it was translated from. Check the source's changes and "
        "save the translation without `source_revision` (it becomes the source's newest) to "
        "make it up to date. Always false for an original.",
    )


class _RevisionKey(_Public):
    # A base of RevisionPublic only so that ``revision`` leads its JSON.
    revision: RevisionNumber


class RevisionPublic(ArticleFields, _RevisionKey):
    """One revision in an article's history (validated from a revision row)."""

    updated_by: str = Field(validation_alias=AliasChoices("updated_by", "created_by"))
    updated_at: datetime = Field(validation_alias=AliasChoices("updated_at", "created_at"))
    note: str


class PublishedRevisionKey(_Public):
    """Which revision of an article is published, without its text: what a sync compares
    (the revision's content hash stands for the text; see ingest.sync.article_key)."""

    article_id: str
    revision: RevisionNumber
    content_hash: str
    learned_questions: list[str] = Field(default_factory=list)


class PublishedRevision(ArticleFields, _Public):
    """The published content of one article, as the search index needs it."""

    article_id: str
    revision: RevisionNumber
    content_hash: str
    # Buyers' questions agents answered with this article (LearnedQuestion), oldest first.
    learned_questions: list[str] = Field(default_factory=list)
