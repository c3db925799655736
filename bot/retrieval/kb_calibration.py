"""Calibrate the answer/hand-off bar for one seller's KB (``draftdesk kb calibrate``).

Negatives: messages no shop answers (``off_topic.txt``) and, when given, the buyer-voice
dev file's out-of-scope hand-offs. Positives: each example question of the KB asked again
with its own chunk left out, and the dev file's answerable messages that rank their
expected article first. Messages that the router hands to a person by rule anyway (a
marketplace-account or ask-for-a-person topic) are left out of both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.retrieval.calibration import (
    Calibration,
    CalibrationPoint,
    fit_calibration,
    off_topic_probes,
    off_topic_probes_in,
)
from bot.retrieval.errors import CalibrationInputError
from bot.retrieval.retriever import HybridRetriever, RetrievalResult
from bot.understanding.signals import find_order_ids
from bot.understanding.tiers import MARKETPLACE_TOPICS, PERSON_TOPICS

_RULE_TOPICS = MARKETPLACE_TOPICS | PERSON_TOPICS
_RULE_PROBABILITY = 0.5
_BATCH = 64


@dataclass(frozen=True)
class DevMessage:
    """A buyer-voice dev message: answer it from ``articles`` (any of them), or not at all."""

    text: str
    articles: tuple[str, ...] = ()
    answerable: bool = True


@dataclass
class KbCalibrationReport:
    calibration: Calibration
    questions: int
    questions_ranked_right: int
    probes: int
    dev_messages: int = 0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "midpoint": self.calibration.midpoint,
            "out_of_scope_lift": self.calibration.out_of_scope_lift,
            "off_topic_weight": self.calibration.off_topic_weight,
            "order_bonus": self.calibration.order_bonus,
            "threshold": self.calibration.threshold,
            "fitted_on": self.calibration.fitted_on,
            "questions": self.questions,
            "questions_ranked_right": self.questions_ranked_right,
            "probes": self.probes,
            "dev_messages": self.dev_messages,
            "locales": self.notes,
        }


def calibrate_kb(
    retriever: HybridRetriever,
    *,
    probes: Sequence[str] | None = None,
    dev: Sequence[DevMessage] = (),
    store: bool = True,
) -> KbCalibrationReport:
    """Fit the bar on the KB the retriever serves and (``store``) keep it with the index."""
    retriever.refresh()
    questions = retriever.question_chunks()
    positives: list[CalibrationPoint] = []
    ranked_right = 0
    vectors = retriever.stored_vectors([q.id for q in questions])
    for question, vector in zip(questions, vectors[: len(questions)], strict=True):
        result = retriever.retrieve(
            question.text, embedding=vector, exclude_chunk_ids=frozenset({question.id})
        )
        if result.articles and result.articles[0].article_id == question.article_id:
            ranked_right += 1
            if not _handed_off_by_rule(result):
                positives.append(_point(result))
    probe_texts = list(probes if probes is not None else off_topic_probes())
    negatives = [
        _point(result) for result in _retrieve_all(retriever, probe_texts)
        if not _handed_off_by_rule(result)
    ]
    dev_results = _retrieve_all(retriever, [m.text for m in dev])
    for message, result in zip(dev, dev_results, strict=True):
        if _handed_off_by_rule(result):
            continue
        if not message.answerable:
            negatives.append(_point(result))
        elif result.articles and result.articles[0].article_id in message.articles:
            positives.append(_point(result))
    calibration = fit_calibration(positives, negatives, defaults=retriever.calibration)
    notes = [_calibrate_locale(retriever, locale, store=store)
             for locale in retriever.translated_locales()]
    if store:
        # Last: other processes re-read the locales' bars when the KB's own bar changes.
        retriever.store_calibration(calibration)
    return KbCalibrationReport(
        calibration=calibration,
        questions=len(questions),
        questions_ranked_right=ranked_right,
        probes=len(probe_texts),
        dev_messages=len(dev),
        notes=notes,
    )


def _calibrate_locale(retriever: HybridRetriever, locale: str, *, store: bool) -> str:
    """The bar for messages in ``locale``, fitted on the KB's translations in it: their
    example questions asked again without their own chunk, against off-topic messages in
    that language. Without probes in that language the KB's own bar is used."""
    probes = off_topic_probes_in(locale)
    questions = retriever.question_chunks(locale)
    if not probes or not questions:
        return f"{locale}: no off-topic messages in this language; the KB's bar is used"
    vectors = retriever.stored_vectors([q.id for q in questions])
    positives: list[CalibrationPoint] = []
    for question, vector in zip(questions, vectors[: len(questions)], strict=True):
        result = retriever.retrieve(
            question.text, embedding=vector, exclude_chunk_ids=frozenset({question.id}),
            language=locale,
        )
        if result.articles and result.articles[0].article_id == question.topic_article_id:
            positives.append(_point(result))
    negatives = [_point(r) for r in _retrieve_all(retriever, probes, language=locale)]
    try:
        calibration = fit_calibration(positives, negatives, defaults=retriever.calibration)
    except ValueError as exc:
        return f"{locale}: not calibrated ({exc}); the KB's bar is used"
    if store:
        retriever.store_calibration(calibration, locale=locale)
    fitted = calibration.fitted_on
    return (
        f"{locale}: midpoint {calibration.midpoint:.3f} (off-topic answered "
        f"{fitted['false_answer_rate']:.1%}, example questions answered {fitted['recall']:.1%})"
    )


def _retrieve_all(
    retriever: HybridRetriever, texts: Sequence[str], *, language: str | None = None
) -> list[RetrievalResult]:
    results: list[RetrievalResult] = []
    for start in range(0, len(texts), _BATCH):
        batch = list(texts[start : start + _BATCH])
        for text, vector in zip(batch, retriever.embed_many(batch), strict=True):
            results.append(retriever.retrieve(
                text, embedding=vector, has_order=bool(find_order_ids(text)), language=language
            ))
    return results


def _point(result: RetrievalResult) -> CalibrationPoint:
    return CalibrationPoint(
        dense=result.features["dense"],
        out_of_scope=result.features["out_of_scope"],
        has_order=result.features.get("has_order", 0.0) >= 0.5,
        off_topic=result.features.get("off_topic", 0.0),
    )


def _handed_off_by_rule(result: RetrievalResult) -> bool:
    return any(t in _RULE_TOPICS and p >= _RULE_PROBABILITY for t, p in result.topics[:1])


def read_dev_messages(path: Path) -> list[DevMessage]:
    """Dev messages from an EVAL.md query file: answerable rows with ``article`` (and
    ``alt_articles``) and ``expect: handoff`` rows whose reason is out of scope."""
    if not path.is_file():
        raise CalibrationInputError(f"query file not found: {path}")
    messages: list[DevMessage] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CalibrationInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise CalibrationInputError(f"{path}:{number}: expected an object with a text")
        if row.get("expect") == "answer" and row.get("article"):
            articles = (str(row["article"]), *(str(a) for a in row.get("alt_articles") or []))
            messages.append(DevMessage(text=row["text"], articles=articles))
        elif row.get("expect") == "handoff" and row.get("handoff_reason") == "out_of_scope":
            messages.append(DevMessage(text=row["text"], answerable=False))
    return messages
