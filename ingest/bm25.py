"""The lexical half of the search index: BM25 (bm25s) over the same chunks, in memory."""

from __future__ import annotations

import re
from collections.abc import Sequence

import bm25s
import numpy as np

from ingest.index import IndexedChunk

# Words in any script (a German "Rücksendung" is one word, not "r" and "cksendung").
_TOKEN = re.compile(r"[^\W_]+")
# Japanese and Chinese are written without spaces: runs of these characters are read as
# overlapping character pairs, the usual stand-in for words in BM25 over CJK text.
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]+")
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
    """Lower-case word tokens with a light plural/verb suffix strip (no extra dependency);
    Japanese and Chinese runs as character pairs."""
    tokens: list[str] = []
    for word in _TOKEN.findall(text.lower()):
        position = 0
        for run in _CJK_RUN.finditer(word):
            tokens.extend(_stemmed(word[position:run.start()]))
            tokens.extend(_pairs(run.group(0)))
            position = run.end()
        tokens.extend(_stemmed(word[position:]))
    return tokens


def _pairs(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def _stemmed(word: str) -> list[str]:
    if not word or word in _STOPWORDS:
        return []
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return [word]


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
