"""Pure metric functions over per-query outcomes (no models, no I/O).

Definitions (EVAL.md): a retrieval is a **hit** when the top article's ``intents`` contain the
query's topic; for a buyer-voice query naming an ``article``, when the top article is that
article or one of its ``alt_articles``. A hand-off on an answer query is a miss *and* a false
hand-off. An answer query with neither a topic nor an article (e.g. "thanks, that's all")
has nothing to find: it counts for false hand-offs but not for Hit@k / MRR.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class QueryOutcome:
    """What happened to one query: the decision and the ranked articles' intents."""

    text: str
    intent: str | None
    expect: str  # "answer" | "handoff"
    handoff: bool
    ranked_intents: tuple[tuple[str, ...], ...] = ()  # best article first
    confidence: float = 0.0
    latency_ms: float = 0.0
    tags: str | None = None
    slice: str | None = None
    handoff_reason: str | None = None
    predicted_topic: str | None = None
    features: dict[str, float] = field(default_factory=dict)
    # Buyer-voice rows: the expected article (and alternatives) and the ranked article ids.
    article: str | None = None
    alt_articles: tuple[str, ...] = ()
    ranked_articles: tuple[str, ...] = ()  # best article first

    @property
    def has_target(self) -> bool:
        """Whether there is something to find: an expected article or topic."""
        return self.article is not None or self.intent is not None

    @property
    def rank(self) -> int | None:
        """1-based rank of the first expected article (rows with ``article``) or else of the
        first article declaring the topic; ``None`` if absent or handed off (a hand-off
        answers nothing)."""
        return None if self.handoff else self.ranked_position

    @property
    def top_hit(self) -> bool:
        """Whether the top article is the expected one, whatever the hand-off decision."""
        return self.ranked_position == 1

    @property
    def ranked_position(self) -> int | None:
        """Like :attr:`rank` but ignoring the hand-off decision."""
        if self.article is not None:
            accepted = {self.article, *self.alt_articles}
            for position, article_id in enumerate(self.ranked_articles, start=1):
                if article_id in accepted:
                    return position
            return None
        if self.intent is None:
            return None
        for position, intents in enumerate(self.ranked_intents, start=1):
            if self.intent in intents:
                return position
        return None

    def hit_at(self, k: int) -> bool:
        rank = self.rank
        return rank is not None and rank <= k

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text, "intent": self.intent, "expect": self.expect,
            "handoff": self.handoff, "handoff_reason": self.handoff_reason,
            "ranked_intents": [list(i) for i in self.ranked_intents],
            "confidence": self.confidence, "latency_ms": self.latency_ms, "tags": self.tags,
            "slice": self.slice, "predicted_topic": self.predicted_topic,
            "features": self.features, "article": self.article,
            "alt_articles": list(self.alt_articles),
            "ranked_articles": list(self.ranked_articles),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> QueryOutcome:
        return cls(
            text=raw["text"], intent=raw["intent"], expect=raw["expect"],
            handoff=bool(raw["handoff"]), handoff_reason=raw.get("handoff_reason"),
            ranked_intents=tuple(tuple(i) for i in raw.get("ranked_intents", [])),
            confidence=float(raw.get("confidence", 0.0)),
            latency_ms=float(raw.get("latency_ms", 0.0)), tags=raw.get("tags"),
            slice=raw.get("slice"), predicted_topic=raw.get("predicted_topic"),
            features={k: float(v) for k, v in raw.get("features", {}).items()},
            article=raw.get("article"), alt_articles=tuple(raw.get("alt_articles", ())),
            ranked_articles=tuple(raw.get("ranked_articles", ())),
        )


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values (an empty slice scores nothing, not NaN)."""
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) with linear interpolation between closest ranks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def reciprocal_rank(outcome: QueryOutcome) -> float:
    rank = outcome.rank
    return 1.0 / rank if rank is not None else 0.0


def answer_metrics(outcomes: Sequence[QueryOutcome]) -> dict[str, Any]:
    """EVAL.md ``answer`` block over the queries that expect an answer.

    Hit@k and MRR are over the answer queries that name a topic or an article; the false
    hand-off rate is over all ``n`` (``answers_without_target`` in the summary says how many
    have nothing to find).
    """
    answers = [o for o in outcomes if o.expect == "answer"]
    scored = [o for o in answers if o.has_target]
    return {
        "n": len(answers),
        "hit_at_1": mean(float(o.hit_at(1)) for o in scored),
        "hit_at_3": mean(float(o.hit_at(3)) for o in scored),
        "mrr": mean(reciprocal_rank(o) for o in scored),
        "false_handoff_rate": mean(float(o.handoff) for o in answers),
    }


def handoff_metrics(outcomes: Sequence[QueryOutcome]) -> dict[str, Any]:
    """EVAL.md ``handoff`` block: the share of hand-off queries that were handed off."""
    handoffs = [o for o in outcomes if o.expect == "handoff"]
    return {"n": len(handoffs), "recall": mean(float(o.handoff) for o in handoffs)}


def per_intent(outcomes: Sequence[QueryOutcome]) -> dict[str, dict[str, Any]]:
    """Hit@1 per topic over answer queries, topics sorted by name."""
    groups: dict[str, list[QueryOutcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.expect == "answer" and outcome.intent is not None:
            groups[outcome.intent].append(outcome)
    return {
        topic: {"n": len(items), "hit_at_1": mean(float(o.hit_at(1)) for o in items)}
        for topic, items in sorted(groups.items())
    }


def handoff_by_slice(outcomes: Sequence[QueryOutcome]) -> dict[str, dict[str, Any]]:
    """Hand-off recall per hand-off group (the topic for Bitext C/D, else the slice)."""
    groups: dict[str, list[QueryOutcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.expect == "handoff":
            groups[outcome.intent or outcome.slice or "unlabelled"].append(outcome)
    return {
        name: {"n": len(items), "recall": mean(float(o.handoff) for o in items)}
        for name, items in sorted(groups.items())
    }


def per_tag(outcomes: Sequence[QueryOutcome]) -> dict[str, dict[str, Any]]:
    """Hit@1 per Bitext language-variation letter (a query counts under each of its letters)."""
    groups: dict[str, list[QueryOutcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.expect == "answer" and outcome.tags:
            for letter in sorted(set(outcome.tags)):
                groups[letter].append(outcome)
    return {
        letter: {"n": len(items), "hit_at_1": mean(float(o.hit_at(1)) for o in items)}
        for letter, items in sorted(groups.items())
    }


HANDOFF_LABEL = "(hand-off)"
NOTHING_LABEL = "(no article)"


def confusions(outcomes: Sequence[QueryOutcome], *, top: int = 10) -> list[dict[str, Any]]:
    """The most frequent (expected topic → what was answered instead) pairs among misses.

    "Instead" is the top article's primary (first) intent, ``(hand-off)`` for a false
    hand-off, or ``(no article)``. Rows scored by article pair the expected article with the
    top article's id.
    """
    pairs: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        if outcome.expect != "answer" or not outcome.has_target or outcome.hit_at(1):
            continue
        first_answer: str | None
        if outcome.article is not None:
            expected = outcome.article
            first_answer = outcome.ranked_articles[0] if outcome.ranked_articles else None
        else:
            expected = str(outcome.intent)
            first = outcome.ranked_intents[0] if outcome.ranked_intents else ()
            first_answer = first[0] if first else None
        if outcome.handoff:
            instead = HANDOFF_LABEL
        elif first_answer is None:
            instead = NOTHING_LABEL
        else:
            instead = first_answer
        pairs[(expected, instead)] += 1
    return [
        {"expected": expected, "got": got, "count": count}
        for (expected, got), count in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    ]


def latency_metrics(outcomes: Sequence[QueryOutcome]) -> dict[str, float]:
    latencies = [o.latency_ms for o in outcomes]
    return {
        "p50": round(percentile(latencies, 0.5), 2),
        "p95": round(percentile(latencies, 0.95), 2),
    }


def retrieval_summary(outcomes: Sequence[QueryOutcome]) -> dict[str, Any]:
    """The EVAL.md JSON object, plus breakdowns the report uses (extra keys)."""
    return {
        "n": len(outcomes),
        "answer": answer_metrics(outcomes),
        "handoff": handoff_metrics(outcomes),
        "per_intent": per_intent(outcomes),
        "latency_ms": latency_metrics(outcomes),
        "per_tag": per_tag(outcomes),
        "handoff_by_slice": handoff_by_slice(outcomes),
        "confusions": confusions(outcomes),
        "answers_without_target": sum(
            1 for o in outcomes if o.expect == "answer" and not o.has_target
        ),
    }


def lowest_threshold_for_recall(handoff_scores: Sequence[float], *, recall: float) -> float | None:
    """The smallest score cut (hand off when score < cut) reaching ``recall`` on hand-offs.

    Used to give a baseline its best single threshold; ``None`` without hand-off queries.
    """
    if not handoff_scores:
        return None
    ordered = sorted(handoff_scores)
    needed = math.ceil(recall * len(ordered))
    if needed == 0:
        return ordered[0]
    # Handing off everything strictly below the cut: the cut sits just above the
    # ``needed``-th lowest hand-off score.
    return math.nextafter(ordered[needed - 1], math.inf)
