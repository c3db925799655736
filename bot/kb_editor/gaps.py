"""Knowledge gaps: buyer questions the KB failed on, clustered by meaning.

A question is a gap candidate when its draft handed off for lack of knowledge, had low
confidence, was rejected, or was sent only after heavy editing (the rules live in
:mod:`bot.kb_editor.repository`). Similar questions are grouped by embedding similarity so a
lead sees "12 buyers asked about engraving" instead of 12 rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.embedder import Embedder

# MiniLM cosine similarity above which two buyer questions count as the same need; tuned on
# paraphrases ("can you engrave it" / "is personalisation possible") vs. unrelated pairs.
DEFAULT_SIMILARITY = 0.55
MAX_EXAMPLES = 5
MAX_QUESTION_CHARS = 300


@dataclass(frozen=True)
class GapQuestion:
    """One buyer question whose draft shows the KB did not answer it well."""

    text: str
    reason: str
    draft_id: int
    conversation_id: str
    created_at: datetime


@dataclass
class GapCluster:
    """Questions about one need, most typical first."""

    questions: list[GapQuestion] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def representative(self) -> str:
        return self.questions[0].text

    @property
    def examples(self) -> list[str]:
        """Up to five distinct question texts, most typical first."""
        seen: list[str] = []
        for question in self.questions:
            if question.text not in seen:
                seen.append(question.text)
            if len(seen) == MAX_EXAMPLES:
                break
        return seen

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(q.reason for q in self.questions).most_common())

    @property
    def latest(self) -> datetime:
        return max(q.created_at for q in self.questions)

    def suggested_title(self) -> str:
        """A starting title for "write an article for this" (the lead will rewrite it)."""
        text = " ".join(self.representative.split())
        text = text.rstrip("?!. ")
        if len(text) > 80:
            text = text[:80].rsplit(" ", 1)[0]
        return text[:1].upper() + text[1:] if text else "New article"


def shorten(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """One line of at most ``limit`` characters (long messages end with an ellipsis)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def cluster_questions(
    questions: Sequence[GapQuestion],
    *,
    embedder: Embedder,
    similarity: float = DEFAULT_SIMILARITY,
) -> list[GapCluster]:
    """Group questions whose embeddings are at least ``similarity`` apart (cosine).

    Density-first leader clustering: the question with the most close neighbours founds a
    cluster of itself and its unassigned neighbours, then the next, and so on. Unlike single
    linkage it cannot chain unrelated questions together, and it is deterministic.
    Clusters come back largest first (ties: most recent first).
    """
    if not questions:
        return []
    import numpy as np  # here: the web app imports this module, and numpy is ~100 ms

    texts = sorted({q.text for q in questions})
    position = {text: i for i, text in enumerate(texts)}
    raw = np.asarray(embedder.embed(texts), dtype=np.float64)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    vectors = raw / np.where(norms == 0, 1.0, norms)
    similar = (vectors @ vectors.T) >= similarity
    weight = Counter(q.text for q in questions)
    # Density counts repeated questions too: five buyers asking the same thing is a centre.
    density = [sum(weight[texts[j]] for j in np.flatnonzero(similar[i])) for i in range(len(texts))]
    order = sorted(range(len(texts)), key=lambda i: (-density[i], texts[i]))
    cluster_of: dict[int, int] = {}
    leaders: list[int] = []
    for leader in order:
        if leader in cluster_of:
            continue
        cluster_of[leader] = len(leaders)
        for member in np.flatnonzero(similar[leader]):
            cluster_of.setdefault(int(member), len(leaders))
        leaders.append(leader)
    clusters = [GapCluster() for _ in leaders]
    for question in questions:
        clusters[cluster_of[position[question.text]]].questions.append(question)
    for cluster, leader in zip(clusters, leaders, strict=True):
        # The leader's text first, then the rest by closeness to it, newest first on ties.
        lead = vectors[leader]
        cluster.questions.sort(
            key=lambda q: (-float(vectors[position[q.text]] @ lead), -q.created_at.timestamp())
        )
    clusters.sort(key=lambda c: (-c.count, -c.latest.timestamp()))
    return clusters
