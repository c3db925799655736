"""The editor's form: front-matter fields as form fields, turned into validated content.

Pages post plain form fields (comma-separated topics and tags, up to ten question inputs);
this module converts them both ways and words validation problems for a person, not a parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from knowledge_base.errors import InvalidArticle
from knowledge_base.schemas import (
    MAX_QUESTIONS,
    ArticleContent,
    ArticleCreate,
    ArticleFields,
    ArticlePublic,
    ArticleUpdate,
)

_FIELD_NAMES = {
    "title": "Title",
    "body": "Article text",
    "intents": "Topics",
    "questions": "Example questions",
    "tags": "Tags",
    "locale": "Locale",
    "translation_of": "Source article",
    "source_revision": "Source revision",
}


def split_labels(text: str) -> list[str]:
    """``"returns, refunds ,"`` → ``["returns", "refunds"]``."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@dataclass
class EditorForm:
    """What the editor shows and posts (``revision`` 0 for a new article)."""

    title: str = ""
    body: str = ""
    topics: str = ""
    questions: list[str] = field(default_factory=list)
    tags: str = ""
    locale: str = "en"
    revision: int = 0
    # A translation: the source article's id, and the source revision it was checked
    # against (None: the source's newest when saved). "" for an original article.
    translation_of: str = ""
    source_revision: int | None = None

    @classmethod
    def from_article(cls, article: ArticlePublic) -> EditorForm:
        return cls(
            title=article.title,
            body=article.body,
            topics=", ".join(article.intents),
            questions=list(article.questions),
            tags=", ".join(article.tags),
            locale=article.locale,
            revision=article.revision,
            translation_of=article.translation_of or "",
            source_revision=article.source_revision,
        )

    @classmethod
    def for_translation(cls, source: ArticlePublic, locale: str) -> EditorForm:
        """A new translation of ``source`` into ``locale``, started from the source's text
        (title, body, questions, topics and tags) for the translator to replace."""
        return cls(
            title=source.title,
            body=source.body,
            topics=", ".join(source.intents),
            questions=list(source.questions),
            tags=", ".join(source.tags),
            locale=locale,
            translation_of=source.id,
            source_revision=source.revision,
        )

    @classmethod
    def prefilled(
        cls, *, title: str = "", body: str = "", questions: Sequence[str] = (), topics: str = ""
    ) -> EditorForm:
        """A new-article form started from a knowledge gap (title and example questions)."""
        cleaned = [" ".join(q.split()) for q in questions if q.strip()]
        return cls(title=title.strip(), body=body, topics=topics, questions=cleaned[:MAX_QUESTIONS])

    def question_slots(self) -> list[str]:
        """Exactly ``MAX_QUESTIONS`` inputs: the questions, then empty ones."""
        filled = [q for q in self.questions if q.strip()]
        return filled + [""] * max(0, MAX_QUESTIONS - len(filled))

    def content(self) -> ArticleContent:
        """Validated content, or InvalidArticle with a message for the person editing."""
        questions = [q for q in self.questions if q.strip()]
        if len(questions) > MAX_QUESTIONS:
            raise InvalidArticle(f"Example questions: at most {MAX_QUESTIONS}")
        try:
            return ArticleContent(
                title=self.title,
                body=self.body,
                intents=split_labels(self.topics),
                questions=questions,
                tags=split_labels(self.tags),
                locale=self.locale.strip() or "en",
                translation_of=self.translation_of.strip() or None,
                source_revision=self.source_revision if self.translation_of.strip() else None,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            field_name = str(first["loc"][0]) if first["loc"] else ""
            name = _FIELD_NAMES.get(field_name, "Article")
            raise InvalidArticle(f"{name}: {_readable(first, field_name)}") from exc

    def to_create(self) -> ArticleCreate:
        return ArticleCreate.model_validate(self.content().model_dump())

    def to_update(self) -> ArticleUpdate:
        return ArticleUpdate(revision=max(self.revision, 1), **self.content().model_dump())


def _readable(error: object, field_name: str = "") -> str:
    details = error if isinstance(error, dict) else {}
    kind = str(details.get("type", ""))
    if kind in ("string_too_short", "missing"):
        return "cannot be empty"
    if kind == "string_too_long":
        limit = (details.get("ctx") or {}).get("max_length")
        return f"too long (at most {limit} characters)" if limit else "too long"
    if kind == "string_pattern_mismatch" and field_name == "translation_of":
        return "not an article id (lowercase letters, digits and '-')"
    if kind == "string_pattern_mismatch":
        return "letters, '-' and '_' only (for example en, de or en-GB)"
    return str(details.get("msg", "is not valid")).removeprefix("Value error, ")


def revision_text(revision: ArticleFields) -> str:
    """A revision as one text for diffs: the front-matter fields, then the Markdown body."""
    lines = [
        f"Title: {revision.title}",
        f"Topics: {', '.join(revision.intents)}",
        f"Tags: {', '.join(revision.tags)}",
        f"Locale: {revision.locale}",
        "Example questions:",
        *[f"- {q}" for q in revision.questions],
        "",
    ]
    return "\n".join(lines) + "\n" + revision.body.strip() + "\n"
