"""Drafting: route the buyer's unanswered messages, look up facts, compose, check.

The same :class:`~bot.routing.Router` decision is used by ``draftdesk eval retrieval``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.checks import CheckContext, run_checks
from bot.drafting.interface import DraftRequest
from bot.drafting.offline import ComposedReply, ComposeInput, OfflineComposer
from bot.drafting.schema import CheckResult, DraftReply, OrderFacts, PolicyVerdict
from bot.retrieval import Calibration, HybridRetriever, RetrievedArticle
from bot.routing import Router, Routing
from bot.settings import Settings
from ingest.embedder import Embedder
from ingest.index import IndexedChunk, SearchIndex

log = logging.getLogger(__name__)

# Where one question ends and another may start ("…kettle? Also, can I pay…").
_QUESTION_BREAK = re.compile(r"[?\n]+|\balso\b|\band another thing\b", re.I)
MAX_QUESTIONS_ANSWERED = 3

OrderLookup = Callable[[str], OrderFacts | None]
PolicyDecider = Callable[[str | None, OrderFacts | None, str], list[PolicyVerdict]]


class LlmComposerLike(Protocol):
    """What the pipeline needs of the LLM composer (bot.drafting.llm.LlmComposer)."""

    name: str
    instructions_text: str

    def compose(self, data: ComposeInput, *, buyer_text: str) -> ComposedReply: ...


@dataclass
class DraftingPipeline:
    """Turns buyer messages into a checked draft. Implements ``bot.drafting.interface.Drafter``."""

    router: Router
    offline: OfflineComposer
    settings: Settings
    llm: LlmComposerLike | None = None
    order_lookup: OrderLookup | None = None
    policy: PolicyDecider | None = None

    @property
    def retriever(self) -> HybridRetriever:
        return self.router.retriever

    def draft(self, request: DraftRequest) -> DraftReply:
        text = "\n".join(m.strip() for m in request.buyer_messages if m.strip())
        routing = self.router.route(text, k=self.settings.retrieval_top_k)
        u = routing.understanding
        order, unknown_order = self._order(u.order_ids or list(request.earlier_order_ids))
        verdicts: list[PolicyVerdict] = []
        asked = policy_question(text)
        if self.policy is not None and not routing.handoff:
            verdicts = self.policy(asked or u.topic, order, text)
        topic = u.topic
        if asked and verdicts and topic not in _TOPIC_FAMILIES[asked]:
            topic = next(iter(_TOPIC_FAMILIES[asked]))
        answer_chunks = [] if routing.handoff else self._answer_chunks(routing, text)
        data = ComposeInput(
            buyer_name=request.buyer_name,
            topic=topic,
            sentiment=u.sentiment,
            handoff=routing.handoff,
            handoff_reason=routing.handoff_reason,
            answer_chunks=answer_chunks,
            order=order,
            unknown_order_id=unknown_order,
            verdicts=verdicts,
            seller_name=self.settings.seller_name,
            signature=self.settings.signature,
        )
        composed, composer_name = self._compose(data, text)
        cited = self._cited_texts(composed, answer_chunks)
        reply = DraftReply(
            text=composed.text,
            handoff=routing.handoff,
            handoff_reason=routing.handoff_reason,
            confidence=round(routing.confidence, 4),
            intents=[topic] if topic else [],
            language=u.language,
            sentiment=u.sentiment,
            citations=composed.citations,
            composer=composer_name,
            order=order,
            verdicts=verdicts,
            kb_revisions={c.article_id: c.revision for c in composed.citations},
            debug={
                "buyer_name": request.buyer_name,
                "features": routing.retrieval.features,
                "topics": routing.retrieval.topics[:5],
                "sensitive": u.sensitive,
                "order_ids": u.order_ids,
                "urgency": u.urgency,
                "cited_texts": cited,
            },
        )
        reply.checks = self.recheck(reply.text, draft=reply, buyer_messages=request.buyer_messages)
        return reply

    def route(self, text: str) -> Routing:
        """The answer/hand-off decision alone (evaluation uses exactly this)."""
        return self.router.route(text, k=self.settings.retrieval_top_k)

    def recheck(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        context = CheckContext(
            buyer_texts=tuple(buyer_messages),
            buyer_name=draft.debug.get("buyer_name"),
            cited_texts=tuple(draft.debug.get("cited_texts", ())),
            verdicts=tuple(draft.verdicts),
            order_facts_text=_order_facts_text(draft.order),
            handoff=draft.handoff,
            instructions_text=self.llm.instructions_text if self.llm is not None else "",
            allowed_link_domains=tuple(self.settings.allowed_link_domains),
            allowed_phone_numbers=tuple(self.settings.allowed_phone_numbers),
        )
        return run_checks(text, context)

    def _order(self, order_ids: Sequence[str]) -> tuple[OrderFacts | None, str | None]:
        if not order_ids or self.order_lookup is None:
            return None, None
        for order_id in order_ids:
            facts = self.order_lookup(order_id)
            if facts is not None:
                return facts, None
        return None, order_ids[0]

    def _answer_chunks(self, routing: Routing, text: str) -> list[IndexedChunk]:
        """What to quote: for one question, the best article's opening and best-matching
        section; for several questions, the opening of each question's own best article."""
        per_question = self._articles_per_question(text)
        if len(per_question) < 2:
            return self._chunks_of(routing.retrieval.articles[0])
        chunks: list[IndexedChunk] = []
        for article in per_question[:MAX_QUESTIONS_ANSWERED]:
            lead = self.retriever.lead_chunk(article.article_id)
            if lead is not None:
                chunks.append(lead)
        return chunks

    def _chunks_of(self, article: RetrievedArticle) -> list[IndexedChunk]:
        lead = self.retriever.lead_chunk(article.article_id)
        chunks = [lead] if lead is not None else []
        matched = next((c for c in article.chunks if c.kind == "body"), None)
        if matched is not None and (lead is None or matched.id != lead.id):
            chunks.append(matched)
        return chunks

    def _articles_per_question(self, text: str) -> list[RetrievedArticle]:
        """The distinct, confidently matched best article of each question in the message."""
        segments = [s.strip() for s in _QUESTION_BREAK.split(text) if len(s.split()) >= 3]
        if len(segments) < 2:
            return []
        found: dict[str, RetrievedArticle] = {}
        for segment in segments:
            result = self.retriever.retrieve(segment, k=1)
            if result.articles and result.confidence >= self.router.threshold:
                found.setdefault(result.articles[0].article_id, result.articles[0])
        return list(found.values())

    def _compose(self, data: ComposeInput, text: str) -> tuple[ComposedReply, str]:
        if self.llm is not None and not data.handoff:
            try:
                return self.llm.compose(data, buyer_text=text), self.llm.name
            except Exception as exc:  # any provider failure falls back to the offline composer
                log.warning(
                    "LLM composer failed, using the offline composer: %s", type(exc).__name__
                )
        return self.offline.compose(data), self.offline.name

    @staticmethod
    def _cited_texts(composed: ComposedReply, chunks: Sequence[IndexedChunk]) -> list[str]:
        by_id = {c.id: c.text for c in chunks}
        return [by_id[c.chunk_id] for c in composed.citations if c.chunk_id in by_id]


# Topics that already fit each explicit policy question (first: the one to use instead).
_TOPIC_FAMILIES: dict[str, tuple[str, ...]] = {
    "cancel_order": ("cancel_order", "check_cancellation_fee"),
    "exchange_item": ("change_order",),
    "return_item": ("check_refund_policy", "get_refund", "track_refund"),
    "get_refund": ("get_refund", "track_refund", "check_refund_policy"),
}
_POLICY_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cancel_order", re.compile(r"\bcancel(l?ing|l?ed|lation)?\b", re.I)),
    ("exchange_item", re.compile(r"\b(exchange|swap)\b", re.I)),
    ("return_item", re.compile(r"\b(return(ing|ed)?|send (it|this|them) back)\b", re.I)),
    ("get_refund", re.compile(r"\b(refund|money back)\b", re.I)),
)


def policy_question(text: str) -> str | None:
    """The policy decision the buyer explicitly asks about, whatever the topic classifier says.

    "Can I still return the kettle?" needs a return verdict even when the message is
    classified as a change of order; eligibility is always decided by the policy engine.
    """
    for topic, pattern in _POLICY_QUESTIONS:
        if pattern.search(text):
            return topic
    return None


def _order_facts_text(order: OrderFacts | None) -> str:
    if order is None:
        return ""
    return order.model_dump_json()


def build_pipeline(
    *,
    settings: Settings,
    index: SearchIndex,
    embedder: Embedder,
    session_factory: sessionmaker[Session],
    chat_model: Any | None = None,
) -> DraftingPipeline:
    """Wire the real pipeline: topic model, retriever, router, composers, orders, policy."""
    from bot.understanding.topics import TopicClassifier, TopicModelError

    topic_model: TopicClassifier | None
    try:
        topic_model = TopicClassifier.load()
    except TopicModelError as exc:
        # Retrieval still works without the topic prior; the hand-off decision is weaker.
        log.warning("no topic model, drafting without a topic prior: %s", exc)
        topic_model = None
    calibration = getattr(topic_model, "calibration", None) or Calibration()
    retriever = HybridRetriever(
        index=index, embedder=embedder, topic_model=topic_model, calibration=calibration
    )
    retriever.refresh()
    router = Router(retriever=retriever, threshold=settings.handoff_threshold)
    llm = None
    if chat_model is not None or settings.llm:
        from bot.drafting.llm import LlmComposer

        llm = LlmComposer.from_settings(settings, chat_model=chat_model)
    order_lookup, policy = _orders_and_policy(settings, session_factory)
    return DraftingPipeline(
        router=router,
        offline=OfflineComposer(),
        settings=settings,
        llm=llm,
        order_lookup=order_lookup,
        policy=policy,
    )


def _orders_and_policy(
    settings: Settings, session_factory: sessionmaker[Session]
) -> tuple[OrderLookup | None, PolicyDecider | None]:
    """Order lookup (SQL) and the policy engine over the seller's rules file."""
    from bot.orders.repository import lookup_order_facts
    from bot.policy import detect_return_reason, load_policy, verdicts_for_topic

    rules = load_policy(settings.resolved_policy_file)

    def lookup(order_id: str) -> OrderFacts | None:
        with session_factory() as session:
            return lookup_order_facts(session, order_id=order_id)

    def decide(topic: str | None, order: OrderFacts | None, text: str) -> list[PolicyVerdict]:
        if topic is None:
            return []
        return list(
            verdicts_for_topic(
                rules,
                topic=topic,
                order=order,
                reason=detect_return_reason(text),
                today=datetime.now(UTC),
                message=text,
            )
        )

    return lookup, decide
