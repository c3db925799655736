"""The one decision drafting and evaluation share: understand, retrieve, answer or hand off."""

from __future__ import annotations

from dataclasses import dataclass

from bot.drafting.schema import Understanding
from bot.retrieval import HybridRetriever, RetrievalResult
from bot.understanding.signals import (
    clean_text,
    detect_language,
    find_order_ids,
    sensitive_subjects,
    sentiment_of,
)
from bot.understanding.tiers import MARKETPLACE_TOPICS, OUT_OF_SCOPE, PERSON_TOPICS

# A tier C/D topic must be this likely before it decides the hand-off on its own.
TOPIC_DECISION_PROBABILITY = 0.5


@dataclass
class Routing:
    """Everything the decision was based on, kept for the draft and for evaluation."""

    understanding: Understanding
    retrieval: RetrievalResult
    confidence: float
    handoff: bool
    handoff_reason: str | None


class Router:
    """Understanding + hybrid retrieval + the answer/hand-off decision."""

    def __init__(self, *, retriever: HybridRetriever, threshold: float | None = None) -> None:
        self.retriever = retriever
        self.threshold = threshold if threshold is not None else retriever.calibration.threshold

    def understand(self, text: str, retrieval: RetrievalResult) -> Understanding:
        sentiment, urgency = sentiment_of(text)
        topics = [t for t, _ in retrieval.topics if t != OUT_OF_SCOPE]
        top_topic, top_probability = next(
            ((t, p) for t, p in retrieval.topics if t != OUT_OF_SCOPE), (None, 0.0)
        )
        return Understanding(
            language=detect_language(text),
            sentiment=sentiment,
            urgency=urgency,
            sensitive=sensitive_subjects(text),
            order_ids=find_order_ids(text),
            topic=top_topic,
            topic_confidence=top_probability,
            topics=topics[:5],
            out_of_scope=retrieval.out_of_scope,
        )

    def route(self, text: str, *, k: int = 5) -> Routing:
        """Decide for one buyer text (the unanswered messages joined)."""
        text = clean_text(text).strip()
        retrieval = self.retriever.retrieve(text, k=k)
        understanding = self.understand(text, retrieval)
        confidence = retrieval.confidence
        reason: str | None = None
        if understanding.sensitive:
            reason = "sensitive:" + ",".join(understanding.sensitive)
        elif (
            understanding.topic in PERSON_TOPICS
            and understanding.topic_confidence >= TOPIC_DECISION_PROBABILITY
        ):
            reason = "person_requested"
        elif (
            understanding.topic in MARKETPLACE_TOPICS
            and understanding.topic_confidence >= TOPIC_DECISION_PROBABILITY
        ):
            reason = "marketplace_account"
        elif not retrieval.articles:
            reason = "no_knowledge"
        elif confidence < self.threshold:
            reason = "out_of_scope" if retrieval.out_of_scope >= 0.5 else "low_confidence"
        return Routing(
            understanding=understanding,
            retrieval=retrieval,
            confidence=confidence,
            handoff=reason is not None,
            handoff_reason=reason,
        )
