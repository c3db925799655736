"""Index change detection in O(1) (issue 17 §2): a query compares the index's generation,
never re-reads the chunks or counts them; a new generation rebuilds the in-memory parts once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bot.retrieval import HybridRetriever
from bot.retrieval.retriever import mark_index_changed
from ingest.embedder import Vectors
from ingest.index import DenseHit, IndexedChunk
from tests.fakes import FakeEmbedder, InMemoryIndex


class CountingIndex(InMemoryIndex):
    """The in-memory index, counting the calls that cost a full scan or a round trip."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def all_chunks(self) -> list[IndexedChunk]:
        self.calls["all_chunks"] += 1
        return super().all_chunks()

    def content_hashes(self, article_ids: Sequence[str] | None = None) -> dict[str, str]:
        self.calls["content_hashes"] += 1
        return super().content_hashes(article_ids)

    def count(self) -> int:
        self.calls["count"] += 1
        return super().count()

    def query(
        self, vector: Vectors, *, k: int, where: Mapping[str, Any] | None = None
    ) -> list[DenseHit]:
        self.calls["query"] += 1
        return super().query(vector, k=k, where=where)


def _article(index: InMemoryIndex, embedder: FakeEmbedder, article_id: str, text: str) -> None:
    chunk = IndexedChunk(id=f"{article_id}:1:0", article_id=article_id, revision=1, number=0,
                         title=article_id.replace("-", " "), heading="", text=text,
                         content_hash=text)
    index.upsert([chunk], embedder.embed([text]))


def _retriever(index: InMemoryIndex, embedder: FakeEmbedder) -> HybridRetriever:
    # refresh_seconds=0: the generation is compared on every query (the worst case).
    retriever = HybridRetriever(
        index=index, embedder=embedder, refresh_seconds=0, rebuild_in_background=False
    )
    retriever.refresh()
    return retriever


def _top(retriever: HybridRetriever, text: str) -> str:
    return retriever.retrieve(text).articles[0].article_id


def test_queries_never_scan_or_count_the_index() -> None:
    index, embedder = CountingIndex(), FakeEmbedder()
    _article(index, embedder, "shipping-times", "parcels arrive within five days")
    _article(index, embedder, "returns", "return the item within thirty days")
    retriever = _retriever(index, embedder)
    index.calls.clear()
    for _ in range(10):
        assert _top(retriever, "when will my parcel arrive") == "shipping-times"
    assert index.calls == Counter(query=10)


def test_a_new_generation_rebuilds_every_process_once() -> None:
    index, embedder = CountingIndex(), FakeEmbedder()
    _article(index, embedder, "shipping-times", "parcels arrive within five days")
    api_process, worker_process = _retriever(index, embedder), _retriever(index, embedder)

    # The API process syncs an edit (a new article) and marks the index changed.
    _article(index, embedder, "gift-wrapping", "gift wrapping paper costs two euros")
    mark_index_changed(index)
    index.calls.clear()
    for _ in range(5):
        assert _top(worker_process, "gift wrapping paper") == "gift-wrapping"
    assert index.calls["all_chunks"] == 1  # one rebuild for the change, not one per query
    assert _top(api_process, "gift wrapping paper") == "gift-wrapping"
    assert index.calls["all_chunks"] == 2 and index.calls["content_hashes"] == 0


class GatedIndex(CountingIndex):
    """Reading every chunk waits until the test opens the gate (a slow rebuild)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()

    def all_chunks(self) -> list[IndexedChunk]:
        assert self.gate.wait(timeout=10)
        return super().all_chunks()


def test_a_rebuild_in_the_background_never_holds_up_a_query() -> None:
    index, embedder = GatedIndex(), FakeEmbedder()
    _article(index, embedder, "shipping-times", "parcels arrive within five days")
    retriever = HybridRetriever(index=index, embedder=embedder, refresh_seconds=0)
    retriever.refresh()
    _article(index, embedder, "gift-wrapping", "gift wrapping paper costs two euros")
    mark_index_changed(index)
    index.gate.clear()
    # Answered while the rebuild waits (from the tables as they were plus dense hits).
    assert _top(retriever, "parcels arrive") == "shipping-times"
    index.gate.set()
    retriever.wait_for_rebuild(timeout=10)
    assert index.calls["all_chunks"] == 2  # the first build and one rebuild
    assert retriever.lead_chunk("gift-wrapping") is not None
