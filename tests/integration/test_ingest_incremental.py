"""Incremental re-ingest (issue 17 §4): unchanged files are not parsed, unchanged articles
are not re-chunked, and the KB and index still end up exactly as a full run leaves them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.database import upgrade_to_head
from ingest.index import ChromaIndex, IndexedChunk
from ingest.pipeline import ingest_paths, resync
from ingest.sync import SYNC_STARTED_KEY, article_key, chunks_for, sync_index
from knowledge_base import repository
from knowledge_base.db import make_engine, make_session_factory, transaction
from tests.fakes import FakeEmbedder, InMemoryIndex

ARTICLE = """---
title: {title}
intents: [track_order]
questions: ["Where is my parcel?", "{question}"]
---

{body}

## Details

Parcels ship within one business day.
"""


def _write(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(ARTICLE.format(title=name.title(), question=f"About {name}?", body=body))
    return path


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    for name in ("tracking", "returns", "invoices"):
        _write(folder, name, f"All about {name}.")
    return folder


@pytest.fixture
def session_factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade_to_head(engine)
    return make_session_factory(engine)


class _Run:
    def __init__(self, kb_dir: Path, factory: sessionmaker[Session], tmp_path: Path) -> None:
        self.kb_dir, self.factory = kb_dir, factory
        self.index = ChromaIndex.persistent(tmp_path / "chroma")
        self.embedder = FakeEmbedder()
        self.states = tmp_path / "state" / "ingest-files.json"

    def __call__(self) -> object:
        return ingest_paths([self.kb_dir], session_factory=self.factory, index=self.index,
                            embedder=self.embedder, file_states=self.states)

    def revisions(self) -> dict[str, int]:
        with transaction(self.factory) as session:
            return {a.id: a.latest_revision for a in repository.list_articles(session)}


@pytest.fixture
def run(kb_dir: Path, session_factory: sessionmaker[Session], tmp_path: Path) -> _Run:
    return _Run(kb_dir, session_factory, tmp_path)


def test_a_file_with_the_same_size_and_mtime_is_not_parsed(run: _Run) -> None:
    first = run()
    assert first.articles == 3 and first.failed == []  # type: ignore[attr-defined]
    path = run.kb_dir / "returns.md"
    stat = path.stat()
    # Same size, same mtime, unparseable: only a skipped file leaves no failure.
    path.write_bytes(b"\x00" * stat.st_size)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = run()
    assert again.failed == [] and again.articles == 3  # type: ignore[attr-defined]
    assert (again.embedded, again.deleted) == (0, 0)  # type: ignore[attr-defined]


def test_a_touched_file_is_recognised_by_its_content(run: _Run) -> None:
    run()
    path = run.kb_dir / "returns.md"
    os.utime(path, ns=(1, 1))
    again = run()
    assert again.embedded == 0  # type: ignore[attr-defined]
    assert run.revisions() == {"tracking": 1, "returns": 1, "invoices": 1}


def test_one_edit_re_chunks_and_embeds_that_article_only(run: _Run) -> None:
    run()
    before = {c.id: c for c in run.index.all_chunks()}
    run.embedder.texts_embedded = 0
    _write(run.kb_dir, "returns", "Return within 45 days.")
    edited = run()
    after = {c.id: c for c in run.index.all_chunks()}
    assert run.revisions() == {"tracking": 1, "returns": 2, "invoices": 1}
    new_returns = [c for c in after.values() if c.article_id == "returns"]
    assert {c.revision for c in new_returns} == {2}
    assert edited.embedded == run.embedder.texts_embedded == len(new_returns)  # type: ignore[attr-defined]
    assert {i: c for i, c in after.items() if c.article_id != "returns"} == {
        i: c for i, c in before.items() if c.article_id != "returns"
    }
    assert edited.chunks == len(after)  # type: ignore[attr-defined]


def test_an_article_unpublished_in_the_editor_comes_back_with_its_unchanged_file(
    run: _Run,
) -> None:
    run()
    with transaction(run.factory) as session:
        repository.unpublish_article(session, article_id="returns", actor="lead")
    resync(session_factory=run.factory, index=run.index, embedder=run.embedder)
    assert "returns" not in {c.article_id for c in run.index.all_chunks()}
    run()
    assert "returns" in {c.article_id for c in run.index.all_chunks()}


def test_a_deleted_file_and_a_lost_record_behave_as_a_full_run(run: _Run) -> None:
    run()
    (run.kb_dir / "invoices.md").unlink()
    gone = run()
    assert gone.deleted > 0  # type: ignore[attr-defined]
    assert {c.article_id for c in run.index.all_chunks()} == {"tracking", "returns"}
    run.states.write_text("not json")
    again = run()
    assert (again.articles, again.embedded, again.deleted) == (2, 0, 0)  # type: ignore[attr-defined]


def test_the_index_ends_equal_to_a_full_sync_after_an_interrupted_one(
    session_factory: sessionmaker[Session], kb_dir: Path, tmp_path: Path
) -> None:
    index, embedder = InMemoryIndex(), FakeEmbedder()
    ingest_paths([kb_dir], session_factory=session_factory, index=index, embedder=embedder)
    with transaction(session_factory) as session:
        published = repository.published_revisions(session)
    expected = {c.id: c for r in published for c in chunks_for(r)}
    # A chunk lost behind the sync's back (its article's key still looks current)…
    index.delete(["returns:1:1"])
    report = sync_index(published=published, index=index, embedder=embedder)
    assert report.embedded == 1
    # …and a sync that stopped half-way (its mark is left set; a stale chunk remains).
    stale = IndexedChunk(**{**expected["returns:1:0"].__dict__, "id": "returns:0:0"})
    index.upsert([stale], np.zeros((1, embedder.dimension), dtype=np.float32))
    index.write_metadata(SYNC_STARTED_KEY, "1")
    report = sync_index(published=published, index=index, embedder=embedder)
    assert report.deleted == 1 and not index.read_metadata(SYNC_STARTED_KEY)
    assert {c.id: c for c in index.all_chunks()} == expected


def test_a_learned_question_embeds_only_the_new_chunk(
    session_factory: sessionmaker[Session], kb_dir: Path
) -> None:
    index, embedder = InMemoryIndex(), FakeEmbedder()
    ingest_paths([kb_dir], session_factory=session_factory, index=index, embedder=embedder)
    with transaction(session_factory) as session:
        published = repository.published_revisions(session)
    returns = next(r for r in published if r.article_id == "returns")
    learned = returns.model_copy(update={"learned_questions": ["how do I send it back"]})
    embedder.texts_embedded = 0
    report = sync_index(
        published=[learned if r is returns else r for r in published], index=index,
        embedder=embedder,
    )
    assert report.embedded == embedder.texts_embedded == 1
    assert index.article_keys()["returns"] == f"{article_key(learned)}/{len(chunks_for(learned))}"


def test_two_files_giving_one_id_are_stored_in_turn_as_without_the_record(run: _Run) -> None:
    for name, body in (("a-first", "From the first file."), ("b-second", "From the second.")):
        (run.kb_dir / f"{name}.md").write_text(
            f"---\nid: shared\ntitle: Shared\n---\n\n{body}\n"
        )
    for _ in range(2):
        run()
        with transaction(run.factory) as session:
            article = repository.get_article(session, article_id="shared")
            assert article.revisions[-1].body.startswith("From the second.")
            assert article.source == str(run.kb_dir / "b-second.md")
