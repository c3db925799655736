"""The lexical half of the search index: BM25 (bm25s) over the same chunks, in memory."""

from __future__ import annotations

import re
from collections.abc import Sequence

import bm25s
import numpy as np

from ingest.index import IndexedChunk

_TOKEN = re.compile(r"[a-z0-9]+")
# A small English stop list: BM25 already down-weights common words, this only removes noise.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens with a light plural/verb suffix strip (no extra dependency)."""
    tokens = []
    for token in _TOKEN.findall(text.lower()):
        if token in _STOPWORDS:
            continue
        if len(token) > 4 and token.endswith("ies"):
            token = token[:-3] + "y"
        elif len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
            token = token[:-1]
        tokens.append(token)
    return tokens


class Bm25Index:
    """BM25 over chunk texts; rebuilt whenever the set of indexed chunks changes."""

    def __init__(self, chunks: Sequence[IndexedChunk]) -> None:
        self._chunks = list(chunks)
        self._retriever: bm25s.BM25 | None = None
        corpus = [tokenize(c.text) for c in self._chunks]
        if any(corpus):
            retriever = bm25s.BM25()
            # Empty documents break bm25s' vocabulary; give them a placeholder token.
            retriever.index([tokens or ["_empty_"] for tokens in corpus], show_progress=False)
            self._retriever = retriever

    @property
    def chunk_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self._chunks)

    def search(self, text: str, *, k: int) -> list[tuple[IndexedChunk, float]]:
        """The best ``k`` chunks with their BM25 scores (empty when no query term is known)."""
        if self._retriever is None:
            return []
        tokens = tokenize(text)
        if not tokens:
            return []
        scores = np.asarray(self._retriever.get_scores(tokens), dtype=np.float64)
        order = np.argsort(-scores)[:k]
        return [(self._chunks[i], float(scores[i])) for i in order if scores[i] > 0]
