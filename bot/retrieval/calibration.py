"""How sure retrieval is that the seller's KB answers a message — fitted per KB.

The confidence is ``sigmoid(slope · (dense − bar))``: the best match to the seller's own
articles and example questions (``dense``, a cosine) must clear a bar, ``midpoint +
out_of_scope_lift · p_oos + off_topic_weight · resemblance`` — it rises when the
dataset-trained classifier calls the message out of scope and when the message resembles
messages no shop answers (:mod:`bot.retrieval.off_topic`) — with ``− order_bonus``
instead of the classifier's term when the buyer names an order. So
the threshold is 0.5, and the bar's midpoint is fitted to the seller's KB by
:func:`fit_calibration` against messages no shop answers (``off_topic.txt``, ours) plus an
optional buyer-voice dev file; each example question asked again without its own chunk
measures what the bar costs in answers. The result is stored with the index, not in the
code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

OFF_TOPIC_PROBES = Path(__file__).resolve().parent / "off_topic.txt"
CALIBRATION_KEY = "draftdesk_calibration"
# At most this share of the off-topic probes may be answered.
MAX_FALSE_ANSWER_RATE = 0.035


@dataclass(frozen=True)
class Calibration:
    """The bar a message's best KB match must clear before it is answered."""

    # Before any fit (a KB ingested without calibration, tests): near what the fit gives
    # with the off-topic term (demo KB 0.070, Northwind 0.14).
    midpoint: float = 0.10
    # The classifier's p(out of scope) is ~1.0 for casual buyer wording as well as for
    # off-topic text, so it weighs little; the resemblance to off-topic messages separates
    # them (weights chosen on buyer-voice dev sets of two KBs, Bitext and CLINC: see
    # evals/README.md, "The bar").
    out_of_scope_lift: float = 0.30
    off_topic_weight: float = 0.60
    order_bonus: float = 0.08
    slope: float = 20.0
    threshold: float = 0.5
    # What the values were fitted on (shown by ``draftdesk kb calibrate``), empty for defaults.
    fitted_on: dict[str, float] = field(default_factory=dict)

    def bar(self, *, out_of_scope: float, has_order: bool, off_topic: float = 0.0) -> float:
        # An order id proves the message is about this shop: the classifier's "out of scope"
        # (trained on voice-assistant requests) has nothing left to say.
        bar = self.midpoint + self.off_topic_weight * off_topic
        if has_order:
            return bar - self.order_bonus
        return bar + self.out_of_scope_lift * out_of_scope

    def confidence(
        self, *, dense: float, out_of_scope: float, has_order: bool, off_topic: float = 0.0
    ) -> float:
        bar = self.bar(out_of_scope=out_of_scope, has_order=has_order, off_topic=off_topic)
        return _sigmoid(self.slope * (dense - bar))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        values = json.loads(text)
        if not isinstance(values, dict):
            raise ValueError("a calibration is a JSON object")
        known = {name for name in cls.__dataclass_fields__}
        if "off_topic_weight" not in values:
            # Fitted before the off-topic resemblance existed: its midpoint assumed none
            # (and the lift it was fitted with), so it keeps meaning what it meant.
            values = {"out_of_scope_lift": 0.30, **values, "off_topic_weight": 0.0}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class CalibrationPoint:
    """One message's features: its best match (cosine), p(out of scope), an order named,
    its resemblance to off-topic messages."""

    dense: float
    out_of_scope: float
    has_order: bool = False
    off_topic: float = 0.0


def fit_calibration(
    positives: Sequence[CalibrationPoint],
    negatives: Sequence[CalibrationPoint],
    *,
    max_false_answer_rate: float = MAX_FALSE_ANSWER_RATE,
    defaults: Calibration | None = None,
) -> Calibration:
    """The lowest bar (midpoint) that answers at most ``max_false_answer_rate`` of the
    negatives; the positives' recall at that bar is recorded with the result.

    Only the midpoint is fitted: it moves with how closely text no shop answers resembles
    *this* KB. The out-of-scope lift, the off-topic weight and the order bonus stay at
    their defaults, because
    the seller's own example questions are worded like the seller, not like buyers, and
    would teach the classifier's out-of-scope probability more trust than buyer text
    deserves (see evals/README.md, "Calibration per KB").
    """
    base = defaults or Calibration()
    if not positives or not negatives:
        raise ValueError("calibration needs messages the KB answers and ones it does not")
    pos = _arrays(positives)
    neg = _arrays(negatives)
    for midpoint in np.arange(0.0, 0.95, 0.005):
        false_answers = float(_answered(neg, midpoint, base).mean())
        if false_answers <= max_false_answer_rate:
            recall = float(_answered(pos, midpoint, base).mean())
            return replace(
                base,
                midpoint=round(float(midpoint), 3),
                fitted_on={
                    "positives": float(len(positives)),
                    "negatives": float(len(negatives)),
                    "recall": round(recall, 4),
                    "false_answer_rate": round(false_answers, 4),
                },
            )
    raise ValueError("no bar keeps off-topic messages out: the KB matches everything")


def off_topic_probes(path: Path = OFF_TOPIC_PROBES) -> list[str]:
    """Messages no shop's knowledge base answers (written by us, shipped with draftdesk)."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def off_topic_probes_in(locale: str) -> list[str]:
    """The same kind of messages in ``locale`` (``off_topic.<locale>.txt``; empty when
    draftdesk ships none for it)."""
    path = OFF_TOPIC_PROBES.with_name(f"off_topic.{locale}.txt")
    return off_topic_probes(path) if path.is_file() else []


def _arrays(points: Sequence[CalibrationPoint]) -> np.ndarray:
    return np.asarray(
        [[p.dense, p.out_of_scope, float(p.has_order), p.off_topic] for p in points]
    )


def _answered(points: np.ndarray, midpoint: float, base: Calibration) -> np.ndarray:
    bar = midpoint + base.off_topic_weight * points[:, 3] + np.where(
        points[:, 2] > 0.5, -base.order_bonus, base.out_of_scope_lift * points[:, 1]
    )
    answered: np.ndarray = points[:, 0] >= bar
    return answered


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
