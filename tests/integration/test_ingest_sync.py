"""Re-runnable ingestion on real SQLite + real Chroma: nothing re-embedded, edits replace
chunks, deleted files leave the index, a bad file fails alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.database import upgrade_to_head
from ingest.index import ChromaIndex
from ingest.pipeline import ingest_paths
from knowledge_base import repository
from knowledge_base.db import make_engine, make_session_factory, transaction
from tests.fakes import FakeEmbedder

ARTICLE = """---
title: {title}
intents: [track_order]
questions: ["Where is my parcel?"]
---

{body}

## Details

Parcels ship within one business day.
"""


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "tracking.md").write_text(ARTICLE.format(title="Tracking", body="Track it here."))
    (folder / "returns.md").write_text(ARTICLE.format(title="Returns", body="Return in 30 days."))
    return folder


@pytest.fixture
def session_factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade_to_head(engine)
    return make_session_factory(engine)


def test_second_run_embeds_nothing_and_edits_embed_only_that_article(
    kb_dir: Path, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    index = ChromaIndex.persistent(tmp_path / "chroma")
    embedder = FakeEmbedder()
    first = ingest_paths([kb_dir], session_factory=session_factory, index=index, embedder=embedder)
    assert (first.articles, first.failed) == (2, [])
    assert first.embedded == first.chunks > 0

    again = ingest_paths([kb_dir], session_factory=session_factory, index=index, embedder=embedder)
    assert (again.embedded, again.deleted) == (0, 0)

    (kb_dir / "returns.md").write_text(ARTICLE.format(title="Returns", body="Return in 45 days."))
    edited = ingest_paths([kb_dir], session_factory=session_factory, index=index, embedder=embedder)
    returns_chunks = [c for c in index.all_chunks() if c.article_id == "returns"]
    assert edited.embedded == len(returns_chunks)
    assert edited.deleted == len(returns_chunks)
    assert {c.revision for c in returns_chunks} == {2}
    assert any("45 days" in c.text for c in returns_chunks)


def test_deleted_file_and_unpublished_article_leave_the_index(
    kb_dir: Path, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    index = ChromaIndex.persistent(tmp_path / "chroma")
    embedder = FakeEmbedder()
    ingest_paths([kb_dir], session_factory=session_factory, index=index, embedder=embedder)
    (kb_dir / "returns.md").unlink()
    report = ingest_paths([kb_dir], session_factory=session_factory, index=index, embedder=embedder)
    assert report.deleted > 0
    assert {c.article_id for c in index.all_chunks()} == {"tracking"}
    with transaction(session_factory) as session:
        repository.unpublish_article(session, article_id="tracking", actor="lead")
    from ingest.pipeline import resync

    resync(session_factory=session_factory, index=index, embedder=embedder)
    assert index.count() == 0


def test_a_bad_file_is_reported_and_the_rest_are_ingested(
    kb_dir: Path, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    (kb_dir / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (kb_dir / "empty.txt").write_text("   \n")
    index = ChromaIndex.persistent(tmp_path / "chroma")
    report = ingest_paths(
        [kb_dir], session_factory=session_factory, index=index, embedder=FakeEmbedder()
    )
    assert report.articles == 2
    assert sorted(Path(f.path).name for f in report.failed) == ["broken.pdf", "empty.txt"]
    assert all(f.error for f in report.failed)
    assert {c.article_id for c in index.all_chunks()} == {"tracking", "returns"}
