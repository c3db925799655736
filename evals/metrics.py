"""Pure metric functions over per-query outcomes (no models, no I/O).

Definitions (EVAL.md): a retrieval is a **hit** when the top article's ``intents`` contain the
query's topic. A hand-off on an answer query is a miss *and* a false hand-off.
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

    @property
    def rank(self) -> int | None:
        """1-based rank of the first article declaring the topic; ``None`` if absent or
        handed off (a hand-off answers nothing)."""
        if self.handoff or self.intent is None:
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
            "features": self.features,
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
    """EVAL.md ``answer`` block over the queries that expect an answer."""
    answers = [o for o in outcomes if o.expect == "answer"]
    return {
        "n": len(answers),
        "hit_at_1": mean(float(o.hit_at(1)) for o in answers),
        "hit_at_3": mean(float(o.hit_at(3)) for o in answers),
        "mrr": mean(reciprocal_rank(o) for o in answers),
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
    hand-off, or ``(no article)``.
    """
    pairs: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        if outcome.expect != "answer" or outcome.intent is None or outcome.hit_at(1):
            continue
        if outcome.handoff:
            instead = HANDOFF_LABEL
        elif outcome.ranked_intents and outcome.ranked_intents[0]:
            instead = outcome.ranked_intents[0][0]
        else:
            instead = NOTHING_LABEL
        pairs[(outcome.intent, instead)] += 1
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
