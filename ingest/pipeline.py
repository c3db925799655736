"""``draftdesk ingest``: files → articles (new revisions only when changed) → index sync."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ingest.embedder import Embedder
from ingest.errors import IngestError
from ingest.index import SearchIndex
from ingest.loaders import LoadedArticle, load_file, scan_sources
from ingest.sync import ProgressCallback, SyncReport, sync_index
from knowledge_base import repository
from knowledge_base.db import transaction
from knowledge_base.errors import InvalidTranslation, KnowledgeBaseError


@dataclass(frozen=True)
class FailedFile:
    path: str
    error: str


@dataclass
class IngestReport:
    articles: int = 0
    chunks: int = 0
    embedded: int = 0
    deleted: int = 0
    failed: list[FailedFile] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "articles": self.articles,
            "chunks": self.chunks,
            "embedded": self.embedded,
            "deleted": self.deleted,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
        }


def load_sources(paths: Sequence[Path]) -> tuple[list[LoadedArticle], list[FailedFile]]:
    """Load every file under ``paths``; a bad file is reported and the rest still load."""
    loaded: list[LoadedArticle] = []
    failed: list[FailedFile] = []
    try:
        files, refused = scan_sources(paths)
    except IngestError as exc:
        return [], [FailedFile(path=", ".join(map(str, paths)), error=exc.message)]
    failed.extend(FailedFile(path=str(path), error=f"{path}: {why}") for path, why in refused)
    for path in files:
        try:
            loaded.extend(load_file(path))
        except (IngestError, KnowledgeBaseError) as exc:
            failed.append(FailedFile(path=str(path), error=exc.message))
    return loaded, failed


def store_articles(
    session: Session, *, articles: Sequence[LoadedArticle], actor: str, publish: bool
) -> tuple[int, list[FailedFile]]:
    """Create or update articles by id; unchanged content adds no revision.

    Originals are stored before translations (a translation needs its source); a
    translation that cannot be stored (its source is missing…) is reported, not fatal.
    """
    stored = 0
    failed: list[FailedFile] = []
    for loaded in sorted(articles, key=lambda a: a.content.translation_of is not None):
        try:
            with session.begin_nested():
                repository.upsert_article_from_source(
                    session,
                    article_id=loaded.article_id,
                    content=loaded.content,
                    actor=actor,
                    publish=publish,
                    source=loaded.source,
                )
        except InvalidTranslation as exc:
            failed.append(FailedFile(path=loaded.source or loaded.article_id, error=exc.message))
            continue
        stored += 1
    return stored, failed


def ingest_paths(
    paths: Sequence[Path],
    *,
    session_factory: sessionmaker[Session],
    index: SearchIndex,
    embedder: Embedder,
    actor: str = "ingest",
    prune_missing: bool = True,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest files as published articles and bring the index in line with the KB.

    With ``prune_missing``, articles previously imported from a given directory whose file is
    gone are deleted (and so leave the index).
    """
    loaded, failed = load_sources(paths)
    report = IngestReport(failed=failed)
    with transaction(session_factory) as session:
        report.articles, refused = store_articles(
            session, articles=loaded, actor=actor, publish=True
        )
        report.failed.extend(refused)
        if prune_missing and not report.failed:
            keep = {a.article_id for a in loaded}
            for path in paths:
                if path.is_dir():
                    repository.delete_articles_not_in(
                        session, source_prefix=str(path), keep_ids=keep, actor=actor
                    )
        published = repository.published_revisions(session)
    sync = sync_index(published=published, index=index, embedder=embedder, progress=progress)
    report.chunks, report.embedded, report.deleted = sync.chunks, sync.embedded, sync.deleted
    return report


def resync(
    *, session_factory: sessionmaker[Session], index: SearchIndex, embedder: Embedder
) -> SyncReport:
    """Re-sync the index with the published KB (after a publish, unpublish or rollback)."""
    with transaction(session_factory) as session:
        published = repository.published_revisions(session)
    return sync_index(published=published, index=index, embedder=embedder)
