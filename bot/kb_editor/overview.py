"""What the KB list and the Knowledge gaps page show: articles with usage, gap clusters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.kb_editor import repository as repo
from bot.kb_editor.gaps import DEFAULT_SIMILARITY, GapCluster, cluster_questions
from bot.kb_editor.translations import TranslationInfo, public_article, translations_by_source
from knowledge_base import repository as kb
from knowledge_base.schemas import ArticlePublic

if TYPE_CHECKING:
    from ingest.embedder import Embedder  # numpy: only the gaps page embeds

USAGE_DAYS = 30
GAP_DAYS = 90
# Below this retrieval confidence an answered draft still counts as a gap.
LOW_CONFIDENCE = 0.5
# A sent reply whose words changed by at least this much was heavily edited.
HEAVY_EDIT = 0.4


@dataclass(frozen=True)
class ArticleRow:
    """One line of the KB list.

    An original lists its ``translations``; a translation names its source (``source_title``
    is None when the source was deleted) and says whether it is stale (``article.stale``).
    """

    article: ArticlePublic
    usage: repo.ArticleUsage
    open_suggestions: int
    translations: tuple[TranslationInfo, ...] = ()
    source_title: str | None = None


def _matches(article: ArticlePublic, words: list[str]) -> bool:
    haystack = " ".join(
        [
            article.id,
            article.title,
            article.body,
            *article.intents,
            *article.questions,
            *article.tags,
        ]
    ).lower()
    return all(word in haystack for word in words)


def article_locales(session: Session) -> list[str]:
    """The locales the KB's articles are written in (for the list's filter)."""
    return sorted({a.revisions[-1].locale.lower() for a in kb.list_articles(session)})


def article_rows(
    session: Session,
    *,
    now: datetime,
    query: str = "",
    status: str | None = None,
    locale: str | None = None,
) -> list[ArticleRow]:
    """Articles (newest edit first) matching every word of ``query`` and ``status``.

    Without ``locale``, a translation is no row of its own but one of its source's
    ``translations`` (a source matches ``query`` when one of its translations does); a
    translation whose source is gone keeps its row. With ``locale``, every article in that
    locale is a row, translations included.
    """
    usage = repo.article_usage(session, since=now - timedelta(days=USAGE_DAYS))
    suggestions = repo.count_open_suggestions(session)
    words = query.lower().split()
    articles = kb.list_articles(session)
    publics = {article.id: public_article(session, article) for article in articles}
    by_source = translations_by_source(session, articles)
    rows: list[ArticleRow] = []
    for article in articles:
        public = publics[article.id]
        source = publics.get(public.translation_of) if public.translation_of else None
        if locale is not None:
            if public.locale.lower() != locale.lower():
                continue
            matched = not words or _matches(public, words)
        elif source is not None:
            continue  # shown with its source
        else:
            matched = not words or any(
                _matches(candidate, words)
                for candidate in (
                    public,
                    *(publics[t.article_id] for t in by_source.get(public.id, [])),
                )
            )
        if not matched or (status and public.status != status):
            continue
        rows.append(
            ArticleRow(
                article=public,
                usage=usage.get(public.id, repo.ArticleUsage()),
                open_suggestions=suggestions.get(public.id, 0),
                translations=tuple(by_source.get(public.id, [])),
                source_title=source.title if source is not None else None,
            )
        )
    return rows


def knowledge_gaps(
    *,
    session_factory: sessionmaker[Session],
    embedder: Embedder,
    now: datetime,
    days: int = GAP_DAYS,
    similarity: float = DEFAULT_SIMILARITY,
) -> list[GapCluster]:
    """Clusters of recent buyer questions the KB did not answer well, largest first."""
    # Read, close the session, then embed: no connection is held while the model runs.
    with session_factory() as session:
        questions = repo.gap_questions(
            session,
            since=now - timedelta(days=days),
            low_confidence=LOW_CONFIDENCE,
            heavy_edit=HEAVY_EDIT,
        )
    return cluster_questions(questions, embedder=embedder, similarity=similarity)
