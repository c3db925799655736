"""Baselines run beside draftdesk on the same chunks: what a careful builder gets for free.

- ``bm25``: bm25s with its stock tokenizer and English stop words over the chunk texts.
- ``langchain_dense``: the stock LangChain recipe, ``langchain_chroma.Chroma`` +
  ``HuggingFaceEmbeddings`` on the bundled MiniLM, ``similarity_search`` (its ``_with_score``
  twin, which ranks identically and exposes the distance).

Neither has a hand-off decision, so each is scored twice: always answering, and with the
single score cut that reaches 95 % hand-off recall *on the very file being evaluated*
(a generous oracle threshold; draftdesk's threshold is fixed in advance).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evals.metrics import (
    QueryOutcome,
    answer_metrics,
    handoff_metrics,
    latency_metrics,
    lowest_threshold_for_recall,
)
from evals.queries import EvalQuery
from ingest.embedder import bundled_model_path
from ingest.index import IndexedChunk

CANDIDATES = 30
ORACLE_RECALL = 0.95


@dataclass(frozen=True)
class RankedArticles:
    """A baseline's answer to one query: article intents (and ids) best first and the top
    score."""

    intents: tuple[tuple[str, ...], ...]
    top_score: float  # higher is more confident
    articles: tuple[str, ...] = ()


Search = Callable[[str], RankedArticles]


def _articles_from_chunks(
    chunks: Sequence[IndexedChunk], scores: Sequence[float]
) -> RankedArticles:
    seen: dict[str, tuple[str, ...]] = {}
    for chunk in chunks:
        seen.setdefault(chunk.article_id, tuple(chunk.intent_list))
    return RankedArticles(intents=tuple(seen.values()),
                          top_score=float(scores[0]) if scores else float("-inf"),
                          articles=tuple(seen))


def bm25_search(chunks: Sequence[IndexedChunk]) -> Search:
    """BM25 over ``chunks`` with bm25s defaults (no stemming; English stop words)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([c.text for c in chunks], stopwords="en", show_progress=False),
        show_progress=False,
    )
    k = min(CANDIDATES, len(chunks))

    def search(text: str) -> RankedArticles:
        tokens = bm25s.tokenize([text], stopwords="en", show_progress=False)
        documents, scores = retriever.retrieve(tokens, k=k, show_progress=False)
        ranked = [(chunks[int(i)], float(s)) for i, s in zip(documents[0], scores[0], strict=True)
                  if float(s) > 0]
        return _articles_from_chunks([c for c, _ in ranked], [s for _, s in ranked])

    return search


class LangChainDense:
    """The stock LangChain + Chroma recipe over the same chunk texts (in-memory Chroma)."""

    def __init__(self, chunks: Sequence[IndexedChunk]) -> None:
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings

        embeddings = HuggingFaceEmbeddings(model_name=str(bundled_model_path()))
        self._store = Chroma(
            collection_name=f"baseline-{uuid.uuid4().hex[:12]}", embedding_function=embeddings
        )
        self._store.add_texts(
            texts=[c.text for c in chunks],
            metadatas=[{"article_id": c.article_id, "intents": c.intents} for c in chunks],
            ids=[c.id for c in chunks],
        )
        self._k = min(CANDIDATES, len(chunks))

    def search(self, text: str) -> RankedArticles:
        hits = self._store.similarity_search_with_score(text, k=self._k)
        seen: dict[str, tuple[str, ...]] = {}
        for document, _distance in hits:
            meta: dict[str, Any] = document.metadata
            intents = tuple(i for i in str(meta.get("intents", "")).split(",") if i)
            seen.setdefault(str(meta.get("article_id")), intents)
        # Chroma returns a distance (lower is closer); negate it so higher means surer.
        top = -float(hits[0][1]) if hits else float("-inf")
        return RankedArticles(intents=tuple(seen.values()), top_score=top, articles=tuple(seen))

    def close(self) -> None:
        self._store.delete_collection()


def run_baseline(search: Search, queries: Sequence[EvalQuery]) -> dict[str, Any]:
    """Score one baseline: always answering, and at its best 95 %-recall score cut."""
    results: list[tuple[EvalQuery, RankedArticles, float]] = []
    for query in queries:
        started = time.perf_counter()
        ranked = search(query.text)
        results.append((query, ranked, (time.perf_counter() - started) * 1000.0))

    def outcomes(cut: float | None) -> list[QueryOutcome]:
        return [
            QueryOutcome(
                text=q.text, intent=q.intent, expect=q.expect,
                handoff=cut is not None and r.top_score < cut,
                ranked_intents=r.intents, latency_ms=ms, tags=q.tags, slice=q.slice,
                article=q.article, alt_articles=tuple(q.alt_articles),
                ranked_articles=r.articles,
            )
            for q, r, ms in results
        ]

    always = outcomes(None)
    summary: dict[str, Any] = {
        "answer": answer_metrics(always),
        "handoff": handoff_metrics(always),
        "latency_ms": latency_metrics(always),
    }
    cut = lowest_threshold_for_recall(
        [r.top_score for q, r, _ in results if q.expect == "handoff"], recall=ORACLE_RECALL
    )
    if cut is not None and any(q.expect == "answer" for q, _, _ in results):
        at_cut = outcomes(cut)
        summary["at_oracle_threshold"] = {
            "score_cut": round(cut, 6),
            "answer": answer_metrics(at_cut),
            "handoff": handoff_metrics(at_cut),
        }
    return summary


def run_baselines(
    chunks: Sequence[IndexedChunk], queries: Sequence[EvalQuery]
) -> dict[str, dict[str, Any]]:
    """Both baselines on the same chunks and queries."""
    results = {"bm25": run_baseline(bm25_search(chunks), queries)}
    dense = LangChainDense(chunks)
    try:
        results["langchain_dense"] = run_baseline(dense.search, queries)
    finally:
        dense.close()
    return results
