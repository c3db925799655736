"""Fitting the retrieval confidence (``bot.retrieval.Calibration``) and its one threshold.

The router hands off when a rule says so (sensitive subject, a person or the marketplace
asked for, no article) or when ``confidence < threshold``. The confidence is
``sigmoid(bias + dense·w1 + topic·w2 + out_of_scope·w3)`` over features the retriever already
computes (the retriever may combine it with other terms, e.g. the strength of the best KB
match). Here a logistic regression learns those weights from tuning queries (label: the top
article answers the query's topic), each expectation group weighing the same; then the
retriever's own ``confidence`` function, with the new weights, scores every query and the
threshold is the one that maximises the mean of Hit@1 and hand-off recall.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evals.metrics import QueryOutcome, mean

FEATURES = ("dense", "topic", "out_of_scope")
# Hand-off reasons the confidence does not decide (see bot.routing.Router.route).
CONFIDENCE_REASONS = frozenset({"out_of_scope", "low_confidence"})
THRESHOLD_GRID = tuple(round(float(t), 2) for t in np.arange(0.05, 0.951, 0.05))

# (calibration values, features) -> confidence; in practice HybridRetriever.confidence.
ConfidenceFunction = Callable[[Mapping[str, float], Mapping[str, float]], float]


def logistic_confidence(values: Mapping[str, float], features: Mapping[str, float]) -> float:
    """sigmoid(bias + Σ weight·feature): the fitted part alone."""
    z = values["bias"] + sum(values[f] * features.get(f, 0.0) for f in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


@dataclass(frozen=True)
class OperatingPoint:
    """What one threshold does to a set of routed queries."""

    threshold: float
    hit_at_1: float
    false_handoff_rate: float
    handoff_recall: float

    @property
    def balanced(self) -> float:
        return (self.hit_at_1 + self.handoff_recall) / 2


@dataclass(frozen=True)
class FittedCalibration:
    """Calibration values (``bot.retrieval.Calibration`` fields) and how they score."""

    values: dict[str, float]
    chosen: OperatingPoint
    curve: list[OperatingPoint]


def _top_hit(outcome: QueryOutcome) -> bool:
    """Whether the top article answers the topic, whatever the hand-off decision was."""
    return (
        outcome.expect == "answer"
        and outcome.intent is not None
        and bool(outcome.ranked_intents)
        and outcome.intent in outcome.ranked_intents[0]
    )


def rule_handoff(outcome: QueryOutcome) -> bool:
    """Handed off by a rule, not by the confidence threshold."""
    return outcome.handoff and outcome.handoff_reason not in CONFIDENCE_REASONS


def operating_point(
    outcomes: Sequence[QueryOutcome], confidences: Sequence[float], threshold: float
) -> OperatingPoint:
    """Hit@1, false hand-off and hand-off recall if the router used ``threshold``."""
    answers: list[tuple[bool, bool]] = []
    handoffs: list[bool] = []
    for outcome, confidence in zip(outcomes, confidences, strict=True):
        handoff = rule_handoff(outcome) or confidence < threshold
        if outcome.expect == "answer":
            answers.append((handoff, _top_hit(outcome)))
        else:
            handoffs.append(handoff)
    return OperatingPoint(
        threshold=threshold,
        hit_at_1=mean(float(hit and not handoff) for handoff, hit in answers),
        false_handoff_rate=mean(float(handoff) for handoff, _ in answers),
        handoff_recall=mean(float(h) for h in handoffs),
    )


def fit_calibration(
    outcomes: Sequence[QueryOutcome],
    *,
    confidence: ConfidenceFunction = logistic_confidence,
    seed: int = 0,
) -> FittedCalibration:
    """Learn the confidence weights and pick the threshold on routed tuning queries.

    ``confidence`` must be the function the router uses (given the new values), so the
    threshold is chosen for the decision drafting will actually make.
    """
    from sklearn.linear_model import LogisticRegression

    x = np.array([[o.features.get(f, 0.0) for f in FEATURES] for o in outcomes])
    y = np.array([_top_hit(o) for o in outcomes])
    if y.all() or not y.any():
        raise ValueError("calibration needs queries the top article answers and ones it does not")
    groups = np.array([o.expect for o in outcomes])
    weights = np.ones(len(outcomes))
    for group in ("answer", "handoff"):
        mask = groups == group
        if mask.any():
            weights[mask] = len(outcomes) / (2 * mask.sum())
    model = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
    model.fit(x, y, sample_weight=weights)
    values = {"bias": float(model.intercept_[0])}
    values.update({name: float(w) for name, w in zip(FEATURES, model.coef_[0], strict=True)})
    confidences = [confidence(values, o.features) for o in outcomes]
    curve = [operating_point(outcomes, confidences, t) for t in THRESHOLD_GRID]
    # Best balance of Hit@1 and hand-off recall; on a tie, the threshold nearest 0.5.
    chosen = max(curve, key=lambda p: (round(p.balanced, 6), -abs(p.threshold - 0.5)))
    values["threshold"] = chosen.threshold
    return FittedCalibration(values=values, chosen=chosen, curve=curve)
