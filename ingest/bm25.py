"""The lexical half of the search index: BM25 (bm25s) over the same chunks, in memory."""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence

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

    def __init__(
        self,
        chunks: Sequence[IndexedChunk],
        *,
        tokens: MutableMapping[str, list[str]] | None = None,
    ) -> None:
        """``tokens``: text → its tokens, kept by the caller across rebuilds (tokenising is
        most of a rebuild's cost; after one edit, only that article's texts are new)."""
        self._chunks = list(chunks)
        self._retriever: bm25s.BM25 | None = None
        known = tokens if tokens is not None else {}
        corpus = []
        for chunk in self._chunks:
            words = known.get(chunk.text)
            if words is None:
                words = known[chunk.text] = tokenize(chunk.text)
            corpus.append(words)
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
        # Only the chunks sharing a word with the query, and of those only the best k
        # sorted (not the whole KB): best score first, ties in index order.
        matched = np.flatnonzero(scores > 0)
        if matched.size > k:
            matched = matched[np.argpartition(-scores[matched], k - 1)[:k]]
        order = matched[np.lexsort((matched, -scores[matched]))]
        return [(self._chunks[i], float(scores[i])) for i in order]
