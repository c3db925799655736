"""What the KB list and the Knowledge gaps page show: articles with usage, gap clusters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.kb_editor import repository as repo
from bot.kb_editor.gaps import DEFAULT_SIMILARITY, GapCluster, cluster_questions
from ingest.embedder import Embedder
from knowledge_base import repository as kb
from knowledge_base.schemas import ArticlePublic

USAGE_DAYS = 30
GAP_DAYS = 90
# Below this retrieval confidence an answered draft still counts as a gap.
LOW_CONFIDENCE = 0.5
# A sent reply whose words changed by at least this much was heavily edited.
HEAVY_EDIT = 0.4


@dataclass(frozen=True)
class ArticleRow:
    """One line of the KB list."""

    article: ArticlePublic
    usage: repo.ArticleUsage
    open_suggestions: int


def _matches(article: ArticlePublic, words: list[str]) -> bool:
    haystack = " ".join(
        [article.id, article.title, article.body, *article.intents, *article.questions,
         *article.tags]
    ).lower()
    return all(word in haystack for word in words)


def article_rows(
    session: Session, *, now: datetime, query: str = "", status: str | None = None
) -> list[ArticleRow]:
    """Articles (newest edit first) matching every word of ``query`` and ``status``."""
    usage = repo.article_usage(session, since=now - timedelta(days=USAGE_DAYS))
    suggestions = repo.count_open_suggestions(session)
    words = query.lower().split()
    rows: list[ArticleRow] = []
    for article in kb.list_articles(session):
        public = kb.to_public(article)
        if status and public.status != status:
            continue
        if words and not _matches(public, words):
            continue
        rows.append(
            ArticleRow(
                article=public,
                usage=usage.get(public.id, repo.ArticleUsage()),
                open_suggestions=suggestions.get(public.id, 0),
            )
        )
    return rows


def knowledge_gaps(
    *, session_factory: sessionmaker[Session], embedder: Embedder, now: datetime,
    days: int = GAP_DAYS, similarity: float = DEFAULT_SIMILARITY,
) -> list[GapCluster]:
    """Clusters of recent buyer questions the KB did not answer well, largest first."""
    # Read, close the session, then embed: no connection is held while the model runs.
    with session_factory() as session:
        questions = repo.gap_questions(
            session, since=now - timedelta(days=days), low_confidence=LOW_CONFIDENCE,
            heavy_edit=HEAVY_EDIT,
        )
    return cluster_questions(questions, embedder=embedder, similarity=similarity)
