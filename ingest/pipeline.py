"""``draftdesk ingest``: files → articles (new revisions only when changed) → index sync."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from ingest.embedder import Embedder
from ingest.errors import IngestError
from ingest.file_states import FileState, FileStates, fingerprint
from ingest.index import SearchIndex
from ingest.loaders import LoadedArticle, load_file, scan_sources
from ingest.sync import ProgressCallback, SyncReport, sync_index
from knowledge_base import repository
from knowledge_base.db import transaction
from knowledge_base.errors import InvalidTranslation, KnowledgeBaseError
from knowledge_base.schemas import PublishedRevision


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


@dataclass
class _Scan:
    """One run's view of the source files: what to load, what is known unchanged."""

    loaded: list[LoadedArticle] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    unchanged_ids: list[str] = field(default_factory=list)  # of the files skipped
    seen: dict[str, FileState] = field(default_factory=dict)  # loaded files, as read
    from_file: dict[str, list[LoadedArticle]] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)


def _scan(
    paths: Sequence[Path], states: FileStates,
    stored: dict[str, repository.ImportedArticleState],
) -> _Scan:
    scan = _Scan()
    try:
        files, refused = scan_sources(paths)
    except IngestError as exc:
        scan.failed.append(FailedFile(path=", ".join(map(str, paths)), error=exc.message))
        return scan
    scan.failed.extend(FailedFile(path=str(path), error=f"{path}: {why}") for path, why in refused)
    for path in files:
        scan.present.add(str(path))
        known = states.unchanged(path, stored=stored)
        if known is not None:
            scan.unchanged_ids.extend(known.articles)
            continue
        seen = fingerprint(path)
        try:
            articles = load_file(path)
        except (IngestError, KnowledgeBaseError) as exc:
            scan.failed.append(FailedFile(path=str(path), error=exc.message))
            continue
        scan.loaded.extend(articles)
        scan.from_file[str(path)] = articles
        if seen is not None:
            scan.seen[str(path)] = seen
    return scan


def _already_stored(
    loaded: LoadedArticle, stored: dict[str, repository.ImportedArticleState]
) -> bool:
    """Whether storing ``loaded`` would change nothing (no revision, no publish)."""
    found = stored.get(loaded.article_id)
    return (
        found is not None
        and found.source == loaded.source
        and found.published_at_latest
        and found.latest_content_hash == loaded.content.content_hash()
    )


def ingest_paths(
    paths: Sequence[Path],
    *,
    session_factory: sessionmaker[Session],
    index: SearchIndex,
    embedder: Embedder,
    actor: str = "ingest",
    prune_missing: bool = True,
    progress: ProgressCallback | None = None,
    file_states: Path | None = None,
) -> IngestReport:
    """Ingest files as published articles and bring the index in line with the KB.

    With ``prune_missing``, articles previously imported from a given directory whose file is
    gone are deleted (and so leave the index). With ``file_states`` (a JSON file ingest keeps),
    files unchanged since the last run are not even parsed (see :mod:`ingest.file_states`).
    Existing articles are read in one query; only new or changed ones are written.
    """
    states = FileStates.load(file_states)
    with transaction(session_factory) as session:
        stored = repository.imported_article_states(session)
    scan = _scan(paths, states, stored)
    # An id given by two files is stored from each in turn (the last wins) as it always
    # was: those files are all loaded and stored, none skipped.
    counts = Counter([*scan.unchanged_ids, *(a.article_id for a in scan.loaded)])
    duplicated = {article_id for article_id, n in counts.items() if n > 1}
    if duplicated & set(scan.unchanged_ids):
        scan = _scan(paths, FileStates(), stored)
    report = IngestReport(failed=scan.failed)
    to_store = [
        a for a in scan.loaded if a.article_id in duplicated or not _already_stored(a, stored)
    ]
    with transaction(session_factory) as session:
        written, refused = store_articles(session, articles=to_store, actor=actor, publish=True)
        report.articles = len(scan.unchanged_ids) + len(scan.loaded) - len(to_store) + written
        report.failed.extend(refused)
        if prune_missing and not report.failed:
            keep = {a.article_id for a in scan.loaded} | set(scan.unchanged_ids)
            for path in paths:
                if path.is_dir():
                    repository.delete_articles_not_in(
                        session, source_prefix=str(path), keep_ids=keep, actor=actor
                    )
        published = repository.published_revision_keys(session)
    if file_states is not None:
        _remember(states, scan, refused, paths)
        states.save(file_states)
    sync = sync_index(
        published=published, index=index, embedder=embedder, progress=progress,
        load=_loader(session_factory),
    )
    report.chunks, report.embedded, report.deleted = sync.chunks, sync.embedded, sync.deleted
    return report


def _remember(
    states: FileStates, scan: _Scan, refused: list[FailedFile], paths: Sequence[Path]
) -> None:
    """Record the files loaded and stored in full this run (a refused one is read again)."""
    not_stored = {f.path for f in refused}
    for name, seen in scan.seen.items():
        loaded = scan.from_file.get(name, [])
        articles = {a.article_id: (a.content.content_hash(), a.source or "") for a in loaded}
        refused_here = {a.source or a.article_id for a in loaded} & not_stored
        if articles and not refused_here:
            states.record(Path(name), seen, articles)
        else:
            states.states.pop(name, None)
    states.forget_missing([p for p in paths if p.is_dir()], scan.present)


def resync(
    *, session_factory: sessionmaker[Session], index: SearchIndex, embedder: Embedder
) -> SyncReport:
    """Re-sync the index with the published KB (after a publish, unpublish or rollback)."""
    with transaction(session_factory) as session:
        published = repository.published_revision_keys(session)
    return sync_index(
        published=published, index=index, embedder=embedder, load=_loader(session_factory)
    )


def _loader(
    session_factory: sessionmaker[Session],
) -> Callable[[list[str]], list[PublishedRevision]]:
    """Reads the full published revisions of the articles a sync must chunk again."""

    def load(article_ids: list[str]) -> list[PublishedRevision]:
        with transaction(session_factory) as session:
            return repository.published_revisions(session, article_ids=article_ids)

    return load
