"""All SQL of the knowledge base: keyword-only functions that take the session.

Revisions are immutable: an edit, an import of changed content or a rollback always adds a
new numbered revision. Every change writes an audit entry in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge_base.clock import utcnow
from knowledge_base.errors import (
    ArticleNotFound,
    InvalidTranslation,
    RevisionConflict,
    RevisionNotFound,
)
from knowledge_base.models import Article, ArticleRevision, AuditLog, LearnedQuestion
from knowledge_base.schemas import (
    ArticleContent,
    ArticleCreate,
    ArticleFields,
    ArticlePublic,
    ArticleUpdate,
    PublishedRevision,
    PublishedRevisionKey,
)


def slugify(text: str, *, max_length: int = 80) -> str:
    """A lowercase ASCII id from free text (``"Returns & refunds"`` → ``"returns-refunds"``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return (slug[:max_length].rstrip("-")) or "article"


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit entry to the current transaction."""
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            detail=detail or {},
            created_at=utcnow(),
        )
    )


def _unique_id(session: Session, base: str) -> str:
    candidate, n = base, 2
    while session.get(Article, candidate) is not None:
        candidate = f"{base[:110]}-{n}"
        n += 1
    return candidate


def _add_revision(
    session: Session, article: Article, content: ArticleContent, *, actor: str, note: str
) -> ArticleRevision:
    number = (article.latest_revision or 0) + 1 if article.revisions else 1
    content = _checked_translation(session, article.id, content)
    revision = ArticleRevision(
        article_id=article.id,
        number=number,
        **content.model_dump(include=set(ArticleFields.model_fields)),
        content_hash=content.content_hash(),
        note=note,
        created_at=utcnow(),
        created_by=actor,
    )
    article.revisions.append(revision)
    article.latest_revision = number
    article.updated_at = revision.created_at
    article.updated_by = actor
    return revision


def _checked_translation(
    session: Session, article_id: str, content: ArticleContent
) -> ArticleContent:
    """A translation's source must exist, be an original and have another locale. Unless
    the content says which source revision it was made from, it is the source's newest:
    saving a translation means it was checked against the source as it is now."""
    source_id = content.translation_of
    if source_id is None:
        return content
    if source_id == article_id:
        raise InvalidTranslation(f"article {article_id!r} cannot be a translation of itself")
    source = session.get(Article, source_id)
    if source is None or not source.revisions:
        raise InvalidTranslation(
            f"article {article_id!r} is a translation of {source_id!r}, which does not exist"
        )
    latest = source.revisions[-1]
    if latest.translation_of is not None:
        raise InvalidTranslation(
            f"article {article_id!r} translates {source_id!r}, which is itself a translation "
            f"(of {latest.translation_of!r}); translate the original"
        )
    if latest.locale.lower() == content.locale.lower():
        raise InvalidTranslation(
            f"article {article_id!r} translates {source_id!r} but has the same locale "
            f"({content.locale}); give the translation its own locale"
        )
    if content.source_revision is None:
        content = content.model_copy(update={"source_revision": source.latest_revision})
    return content


def translation_is_stale(session: Session, revision: ArticleRevision) -> bool:
    """Whether the source changed after the revision it was translated from."""
    if revision.translation_of is None or revision.source_revision is None:
        return False
    source = session.get(Article, revision.translation_of)
    return source is not None and source.latest_revision > revision.source_revision


def get_article(session: Session, *, article_id: str) -> Article:
    """The article with its revisions loaded, or :class:`ArticleNotFound`."""
    article = session.execute(
        select(Article).options(selectinload(Article.revisions)).where(Article.id == article_id)
    ).scalar_one_or_none()
    if article is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    return article


def get_revision(session: Session, *, article_id: str, number: int) -> ArticleRevision:
    """One revision of an article, or :class:`RevisionNotFound`."""
    revision = session.get(ArticleRevision, (article_id, number))
    if revision is None:
        raise RevisionNotFound(f"article {article_id!r} has no revision {number}")
    return revision


def list_articles(session: Session) -> list[Article]:
    """Every article, most recently updated first."""
    return list(
        session.execute(
            select(Article)
            .options(selectinload(Article.revisions))
            .order_by(Article.updated_at.desc(), Article.id)
        ).scalars()
    )


def create_article(
    session: Session,
    *,
    content: ArticleCreate,
    actor: str,
    publish: bool = False,
    source: str | None = None,
    note: str = "created",
) -> Article:
    """Create an article at revision 1 (status draft unless ``publish``)."""
    article_id = content.id or _unique_id(session, slugify(content.title))
    if content.id and session.get(Article, content.id) is not None:
        article_id = _unique_id(session, content.id)
    now = utcnow()
    article = Article(
        id=article_id,
        status="draft",
        latest_revision=0,
        source=source,
        created_at=now,
        updated_at=now,
        updated_by=actor,
    )
    session.add(article)
    _add_revision(session, article, content, actor=actor, note=note)
    record_audit(
        session,
        actor=actor,
        action="article.create",
        entity_type="article",
        entity_id=article_id,
        detail={"revision": 1, "title": content.title},
    )
    if publish:
        publish_article(session, article_id=article_id, actor=actor, article=article)
    session.flush()
    return article


def update_article(
    session: Session, *, article_id: str, update: ArticleUpdate, actor: str, note: str = "edited"
) -> Article:
    """Add a revision based on ``update.revision``; a stale base raises RevisionConflict."""
    article = get_article(session, article_id=article_id)
    if update.revision != article.latest_revision:
        raise RevisionConflict(
            f"article {article_id!r} is at revision {article.latest_revision}, "
            f"but the edit was based on revision {update.revision}; reload and edit again"
        )
    content = ArticleContent.model_validate(update.model_dump(exclude={"revision"}))
    revision = _add_revision(session, article, content, actor=actor, note=note)
    record_audit(
        session,
        actor=actor,
        action="article.edit",
        entity_type="article",
        entity_id=article_id,
        detail={"revision": revision.number, "based_on": update.revision},
    )
    session.flush()
    return article


def upsert_article_from_source(
    session: Session,
    *,
    article_id: str,
    content: ArticleContent,
    actor: str,
    publish: bool,
    source: str | None,
) -> tuple[Article, bool]:
    """Import content under a fixed id: a new revision only when the content changed.

    Returns the article and whether anything (content or publish state) changed.
    """
    existing = session.get(Article, article_id)
    if existing is None:
        created = create_article(
            session,
            content=ArticleCreate(id=article_id, **content.model_dump()),
            actor=actor,
            publish=publish,
            source=source,
            note=f"imported from {source}",
        )
        return created, True
    article = get_article(session, article_id=article_id)
    latest = article.revisions[-1]
    changed = latest.content_hash != content.content_hash()
    if changed:
        _add_revision(session, article, content, actor=actor, note=f"imported from {source}")
        record_audit(
            session,
            actor=actor,
            action="article.import",
            entity_type="article",
            entity_id=article_id,
            detail={"revision": article.latest_revision, "source": source},
        )
    if publish and article.published_revision != article.latest_revision:
        publish_article(session, article_id=article_id, actor=actor, article=article)
        changed = True
    article.source = source
    session.flush()
    return article, changed


def publish_article(
    session: Session, *, article_id: str, actor: str, article: Article | None = None
) -> Article:
    """Make the latest revision the one drafts are grounded on."""
    article = article or get_article(session, article_id=article_id)
    article.published_revision = article.latest_revision
    article.status = "published"
    article.updated_at = utcnow()
    article.updated_by = actor
    record_audit(
        session,
        actor=actor,
        action="article.publish",
        entity_type="article",
        entity_id=article.id,
        detail={"revision": article.latest_revision},
    )
    session.flush()
    return article


def unpublish_article(session: Session, *, article_id: str, actor: str) -> Article:
    """Take an article out of drafting (its revisions stay)."""
    article = get_article(session, article_id=article_id)
    article.published_revision = None
    article.status = "unpublished"
    article.updated_at = utcnow()
    article.updated_by = actor
    record_audit(
        session,
        actor=actor,
        action="article.unpublish",
        entity_type="article",
        entity_id=article_id,
        detail={},
    )
    session.flush()
    return article


def rollback_article(session: Session, *, article_id: str, revision: int, actor: str) -> Article:
    """Copy an old revision's content into a new revision (history is never rewritten)."""
    article = get_article(session, article_id=article_id)
    old = get_revision(session, article_id=article_id, number=revision)
    content = ArticleContent.model_validate(old)
    new = _add_revision(
        session, article, content, actor=actor, note=f"rollback to revision {revision}"
    )
    if article.status == "published":
        article.published_revision = new.number
    record_audit(
        session,
        actor=actor,
        action="article.rollback",
        entity_type="article",
        entity_id=article_id,
        detail={"to": revision, "revision": new.number},
    )
    session.flush()
    return article


def delete_article(session: Session, *, article_id: str, actor: str) -> None:
    """Delete an article and its revisions; the audit log keeps the record."""
    article = get_article(session, article_id=article_id)
    record_audit(
        session,
        actor=actor,
        action="article.delete",
        entity_type="article",
        entity_id=article_id,
        detail={"title": article.revisions[-1].title},
    )
    session.delete(article)
    session.flush()


def delete_articles_not_in(
    session: Session, *, source_prefix: str, keep_ids: set[str], actor: str
) -> list[str]:
    """Delete articles imported from under ``source_prefix`` whose files are gone."""
    prefix = source_prefix.rstrip("/") + "/"
    stale = [
        article_id
        for article_id, source in session.execute(
            select(Article.id, Article.source).where(Article.source.is_not(None))
        )
        if source and source.startswith(prefix) and article_id not in keep_ids
    ]
    for article_id in stale:
        delete_article(session, article_id=article_id, actor=actor)
    return stale


def published_revision_keys(session: Session) -> list[PublishedRevisionKey]:
    """Which revision of every published article is published, without the texts (one
    light query: a sync loads the full revisions of the changed articles only)."""
    rows = session.execute(
        select(ArticleRevision.article_id, ArticleRevision.number, ArticleRevision.content_hash)
        .join(Article, Article.id == ArticleRevision.article_id)
        .where(Article.status == "published")
        .where(ArticleRevision.number == Article.published_revision)
        .order_by(ArticleRevision.article_id)
    )
    learned = learned_questions(session)
    return [
        PublishedRevisionKey(
            article_id=article_id, revision=number, content_hash=content_hash,
            learned_questions=learned.get(article_id, []),
        )
        for article_id, number, content_hash in rows
    ]


def published_revisions(
    session: Session, *, article_ids: Collection[str] | None = None
) -> list[PublishedRevision]:
    """The published revision of every published article (what the index must hold), or
    of those of ``article_ids`` that are published."""
    query = (
        select(ArticleRevision)
        .join(Article, Article.id == ArticleRevision.article_id)
        .where(Article.status == "published")
        .where(ArticleRevision.number == Article.published_revision)
        .order_by(ArticleRevision.article_id)
    )
    if article_ids is not None:
        query = query.where(Article.id.in_(list(article_ids)))
    rows = session.execute(query).scalars()
    learned = learned_questions(session)
    return [
        PublishedRevision.model_validate(row).model_copy(
            update={"learned_questions": learned.get(row.article_id, [])}
        )
        for row in rows
    ]


# The newest questions learned per article that are indexed (older ones stay stored).
LEARNED_PER_ARTICLE = 20


def learned_questions(session: Session) -> dict[str, list[str]]:
    """The newest LEARNED_PER_ARTICLE learned questions of each article, oldest first."""
    rows = session.execute(
        select(LearnedQuestion).order_by(LearnedQuestion.id.desc())
    ).scalars()
    found: dict[str, list[str]] = {}
    for row in rows:
        texts = found.setdefault(row.article_id, [])
        if len(texts) < LEARNED_PER_ARTICLE and row.text not in texts:
            texts.append(row.text)
    # Oldest first: a new question is appended, so the chunks before it keep their ids.
    return {article_id: texts[::-1] for article_id, texts in found.items()}


def add_learned_question(
    session: Session, *, article_id: str, text: str, learned_from: str, approved_by: str
) -> bool:
    """Keep a buyer's question an approved draft answered with ``article_id``; False when the
    article is gone or the same text is already known for it."""
    if session.get(Article, article_id) is None:
        return False
    exists = session.execute(
        select(LearnedQuestion.id).where(
            LearnedQuestion.article_id == article_id, LearnedQuestion.text == text
        )
    ).first()
    if exists is not None:
        return False
    session.add(LearnedQuestion(article_id=article_id, text=text, learned_from=learned_from,
                                approved_by=approved_by))
    session.flush()
    return True


def to_public(article: Article) -> ArticlePublic:
    """The API view of an article: its newest revision, with the article's state."""
    return ArticlePublic.model_validate(article.revisions[-1])


@dataclass(frozen=True)
class ImportedArticleState:
    """What a re-import compares: where an article came from and its newest content."""

    source: str | None
    latest_content_hash: str
    published_at_latest: bool


def imported_article_states(session: Session) -> dict[str, ImportedArticleState]:
    """Every article's import state, in one query (ingest skips what is already stored)."""
    rows = session.execute(
        select(
            Article.id, Article.source, Article.status, Article.published_revision,
            Article.latest_revision, ArticleRevision.content_hash,
        ).join(
            ArticleRevision,
            (ArticleRevision.article_id == Article.id)
            & (ArticleRevision.number == Article.latest_revision),
        )
    )
    return {
        article_id: ImportedArticleState(
            source=source,
            latest_content_hash=content_hash,
            published_at_latest=status == "published" and published == latest,
        )
        for article_id, source, status, published, latest, content_hash in rows
    }
