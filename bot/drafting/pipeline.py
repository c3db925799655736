"""Drafting: route the buyer's unanswered messages, look up facts, compose, check.

The same :class:`~bot.routing.Router` decision is used by ``draftdesk eval retrieval``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from bot.checks import ReplyRules, check_draft
from bot.checks.tone import content_stems
from bot.drafting.interface import DraftRequest
from bot.drafting.offline import (
    AnswerPart,
    ComposedReply,
    ComposeInput,
    OfflineComposer,
    load_wording,
)
from bot.drafting.openings import problem_in
from bot.facts import (
    CheckResult,
    CitedPassage,
    DraftEvidence,
    DraftReply,
    OrderFacts,
    PolicyVerdict,
    ReplySource,
)
from bot.retrieval import HybridRetriever, RetrievedArticle
from bot.routing import Router, Routing
from bot.understanding.signals import reply_language_for
from ingest.bm25 import tokenize
from ingest.embedder import Vectors
from ingest.index import IndexedChunk

log = logging.getLogger(__name__)

# Where one question ends and another may start ("…kettle? Also, can I pay…").
# (The question mark stays with its question.)
_QUESTION_BREAK = re.compile(r"(?<=\?)|\n+|\balso\b,?|\band another thing\b", re.I)
MAX_QUESTIONS_ANSWERED = 3
# How much more like the question another section must be to be quoted after the
# article's opening.
SECTION_MARGIN = 0.0
CATCH_ALL_MARGIN = 0.03
WORD_OVERLAP_WEIGHT = 0.15
# The buyer's words that only some sections use ("wrap" in a gift article whose every section
# says "gift") point at the section that answers; they count this much more.
DISTINCT_WORD_WEIGHT = 0.5
# A section whose heading the buyer's words (or the matched example question's) fill ("If
# your order has already shipped" for "cancel after the order already shipped") is the one
# the seller wrote for that question.
HEADING_WEIGHT = 0.1
# How much the example question the message matched counts next to the message itself when
# choosing the section to quote.
MATCHED_QUESTION_WEIGHT = 0.3
# Section weights above chosen together on the demo dev set, checked on the held-out set and
# the second seller's KB (drafts whose opening + chosen section hold every must_mention entry,
# of those where some section could: dev 196 → 201 of 217, held-out 84 → 86 of 94,
# Northwind 94 → 97 of 107; see evals/README.md).
# How likely the classifier's topic must be before it asks the policy engine for a verdict.
TOPIC_FOR_POLICY_PROBABILITY = 0.5
_CATCH_ALL = re.compile(r"good to know|tips|more|other|notes?|faq", re.I)


def _buyer_text(request: DraftRequest) -> str:
    """The unanswered buyer messages as one text."""
    return "\n".join(m.strip() for m in request.buyer_messages if m.strip())


def _question_segments(text: str) -> list[str]:
    """The parts of a message that may each be a question of its own."""
    return [s.strip() for s in _QUESTION_BREAK.split(text) if len(s.split()) >= 3]


_FIGURE = re.compile(r"\d+(?:[.,]\d+)?(?:\s*(?:-|–|to)\s*\d+)?")


def _repeats(opening: str, section: str) -> bool:
    """Whether ``section`` mostly says again what the opening says: its figures (two or
    more) are all in the opening ("Standard: 3–5 business days" under "standard delivery takes
    3–5 business days"), and so is a good part of its subject words."""
    figures = set(_FIGURE.findall(section))
    if len(figures) < 2 or not figures <= set(_FIGURE.findall(opening)):
        return False
    words = content_stems(section)
    return len(words & content_stems(opening)) >= 0.3 * len(words)


def _is_question(segment: str) -> bool:
    return segment.rstrip().endswith("?") or bool(
        re.match(r"(can|could|do|does|did|is|are|will|would|how|what|when|where|why|which)\b",
                 segment.strip(), re.I)
    )

def _bound_ids(request: DraftRequest, named: Sequence[str]) -> list[str]:
    """The orders this draft may name: the conversation's, or all named ones for the seller."""
    return list(dict.fromkeys(
        [*request.bound_order_ids, *(named if request.for_seller else ())]
    ))


def _asking_to_verify(
    composed: ComposedReply, *, channel: str | None, language: str
) -> ComposedReply:
    """The reply with a request to verify the order, before the sign-off: a buyer named an
    order this conversation is not bound to (in English until the language has the key)."""
    texts = load_wording(language).get("order_verification") or load_wording("en")[
        "order_verification"
    ]
    ask = texts["widget"] if channel == "widget" else texts["other"]
    parts = composed.text.split("\n\n")
    parts.insert(max(1, len(parts) - 1), ask)
    return replace(composed, text="\n\n".join(parts))


def _reply_sources(composed: ComposedReply, *, by_model: bool) -> list[ReplySource]:
    """The draft paragraph by paragraph: quoted KB text (which article, which language) or
    our own wording — template text filled from order facts and verdicts, or the model's."""
    sources: list[ReplySource] = []
    for paragraph in (p.strip() for p in composed.text.split("\n\n")):
        if not paragraph:
            continue
        chunk = composed.kb_paragraphs.get(paragraph)
        if chunk is not None:
            sources.append(ReplySource(text=paragraph, origin="kb", article_id=chunk.article_id,
                                       locale=chunk.locale))
        else:
            sources.append(ReplySource(text=paragraph, origin="model" if by_model else "template"))
    return sources


OrderLookup = Callable[[str], OrderFacts | None]
PolicyDecider = Callable[[str | None, OrderFacts | None, str], list[PolicyVerdict]]


class LlmComposerLike(Protocol):
    """What the pipeline needs of the LLM composer (bot.drafting.llm.LlmComposer)."""

    name: str
    instructions_text: str

    def compose(self, data: ComposeInput, *, buyer_text: str) -> ComposedReply: ...


@dataclass(frozen=True)
class DraftingConfig:
    """Who the replies come from and how much to retrieve (from settings, at the root)."""

    seller_name: str
    signature: str
    retrieval_top_k: int = 8
    reply_rules: ReplyRules = field(default_factory=ReplyRules)


@dataclass
class DraftingPipeline:
    """Turns buyer messages into a checked draft. Implements ``bot.drafting.interface.Drafter``."""

    router: Router
    offline: OfflineComposer
    config: DraftingConfig
    llm: LlmComposerLike | None = None
    order_lookup: OrderLookup | None = None
    policy: PolicyDecider | None = None

    @property
    def retriever(self) -> HybridRetriever:
        return self.router.retriever

    def prepare(self, requests: Sequence[DraftRequest]) -> int:
        """Embed, in one model call, what drafting ``requests`` will embed (a worker with
        a backlog calls this before drafting them one by one); returns the texts embedded."""
        texts: list[str] = []
        for request in requests:
            text, _, language = self.router.read_text(_buyer_text(request))
            texts += self.retriever.query_texts(text, language)
            segments = _question_segments(text)
            if len(segments) >= 2:
                for segment in segments[: MAX_QUESTIONS_ANSWERED + 1]:
                    # Each question is read as it is and with product names masked.
                    texts += [segment, self.retriever.items_masked(segment)]
        return self.retriever.prefetch(texts)

    def discard_prepared(self) -> None:
        self.retriever.discard_prefetched()

    def draft(self, request: DraftRequest) -> DraftReply:
        text = _buyer_text(request)
        routing = self.router.route(text, k=self.config.retrieval_top_k)
        u = routing.understanding
        # What the buyer asked, without any text addressed to a model.
        text = routing.text or text
        named = list(u.order_ids or request.earlier_order_ids)
        order, unknown_order, unverified = self._order(named, request)
        verdicts: list[PolicyVerdict] = []
        asked = policy_question(text)
        answering = not routing.handoff and not routing.no_response_needed
        if self.policy is not None and answering:
            # Without an explicit policy question, the classifier's topic decides only when
            # it is likely: a verdict on a guessed topic ("can't be canceled" for a restocking
            # fee question) is worse than none.
            likely_topic = u.topic if u.topic_confidence >= TOPIC_FOR_POLICY_PROBABILITY else None
            verdicts = self.policy(asked or likely_topic, order, text)
        topic = u.topic
        if asked and verdicts and topic not in _TOPIC_FAMILIES[asked]:
            topic = next(iter(_TOPIC_FAMILIES[asked]))
        language = reply_language_for(text, request.locale)
        if asked and verdicts and answering:
            _policy_article_first(routing.retrieval.articles, asked)
        answers, uncovered = (
            self._answers(routing, text, language) if answering else ([], [])
        )
        data = ComposeInput(
            buyer_name=request.buyer_name,
            sentiment=u.sentiment,
            handoff=routing.handoff,
            handoff_reasons=(routing.handoff_reason or "").split(",") if routing.handoff else (),
            answers=answers,
            uncovered_questions=uncovered,
            order=order,
            unknown_order_id=unknown_order,
            verdicts=verdicts,
            seller_name=self.config.seller_name,
            signature=self.config.signature,
            buyer_text=text,
            policy_question=asked,
            no_response_needed=routing.no_response_needed,
            order_id_given=bool(u.order_ids or request.earlier_order_ids),
            product_names=self.retriever.product_names(),
            language=language,
        )
        composed, composer_name = self._compose(data, text)
        if unverified and not routing.no_response_needed:
            composed = _asking_to_verify(
                composed, channel=request.channel, language=data.language
            )
        evidence = DraftEvidence(
            cited=self._cited_passages(composed, data.answer_chunks),
            buyer_name=request.buyer_name,
            order=order,
            verdicts=verdicts,
            bound_order_ids=_bound_ids(request, named),
            reply_language=data.language,
            untranslated_kb_text=composed.untranslated,
            reply_sources=_reply_sources(composed, by_model=composer_name != self.offline.name),
        )
        reply = DraftReply(
            text=composed.text,
            handoff=routing.handoff,
            handoff_reason=routing.handoff_reason,
            confidence=round(routing.confidence, 4),
            intents=[topic] if topic else [],
            language=u.language,
            reply_language=data.language,
            untranslated_kb_text=composed.untranslated,
            reply_sources=evidence.reply_sources,
            sentiment=u.sentiment,
            citations=composed.citations,
            composer=composer_name,
            order=order,
            verdicts=verdicts,
            kb_revisions={c.article_id: c.revision for c in composed.citations},
            suggest_no_response=routing.no_response_needed,
            evidence=evidence,
            debug={
                "features": routing.retrieval.features,
                "topics": routing.retrieval.topics[:5],
                "sensitive": u.sensitive,
                "order_ids": u.order_ids,
                "urgency": u.urgency,
                "uncovered_questions": uncovered,
                "injection_removed": routing.injection_removed,
            },
        )
        reply.checks = self.recheck(reply.text, draft=reply, buyer_messages=request.buyer_messages)
        return reply

    def route(self, text: str) -> Routing:
        """The answer/hand-off decision alone (evaluation uses exactly this)."""
        return self.router.route(text, k=self.config.retrieval_top_k)

    def recheck(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        """Check ``text`` against what ``draft`` was built on (its stored evidence)."""
        return check_draft(
            text, draft=draft, buyer_messages=buyer_messages, rules=self._reply_rules
        )

    @property
    def _reply_rules(self) -> ReplyRules:
        rules = self.config.reply_rules
        if self.llm is None:
            return rules
        return ReplyRules(
            allowed_link_domains=rules.allowed_link_domains,
            allowed_phone_numbers=rules.allowed_phone_numbers,
            instructions_text=self.llm.instructions_text,
        )

    def _order(
        self, order_ids: Sequence[str], request: DraftRequest
    ) -> tuple[OrderFacts | None, str | None, list[str]]:
        """The facts of the first named order bound to the conversation (or a bound id not in
        the order data, to ask about), and the named orders that are not bound. Those are
        never looked up: the draft asks the buyer to verify them whether they exist or not.
        With no order named, the conversation's one bound order is the order in question."""
        unverified = [o for o in order_ids if not request.is_bound(o)]
        bound = [o for o in order_ids if request.is_bound(o)]
        if not order_ids and len(request.bound_order_ids) == 1:
            bound = list(request.bound_order_ids)
        if not bound or self.order_lookup is None:
            return None, None, unverified
        for order_id in bound:
            facts = self.order_lookup(order_id)
            if facts is not None:
                return facts, None, unverified
        return None, bound[0], unverified

    def _answers(
        self, routing: Routing, text: str, language: str
    ) -> tuple[list[AnswerPart], list[str]]:
        """The part of the reply for each question (up to three): the section of its best
        article that answers it — from the article's translation in the reply's language
        when there is one. Questions the KB does not answer confidently are returned to be
        named as passed to a colleague."""
        top = routing.retrieval.articles[0]
        parts = [AnswerPart(
            chunks=self._answering_chunks(top, routing.retrieval.embedding, text, language)
        )]
        segments = _question_segments(text)
        if len(segments) < 2:
            return parts, []
        # A segment is covered by an article already answered when that article is among its
        # own best three (the same subject in other words).
        near_whole = {a.article_id for a in routing.retrieval.articles[:3]}
        answered = {top.article_id}
        uncovered: list[str] = []
        has_order = bool(routing.understanding.order_ids)
        segments = segments[: MAX_QUESTIONS_ANSWERED + 1]
        # One model call for every segment.
        for segment, vector in zip(segments, self.retriever.embed_many(segments), strict=True):
            result = self.retriever.retrieve(
                segment, k=3, has_order=has_order, embedding=vector,
                language=routing.understanding.language,
            )
            if not result.articles:
                continue
            ranked = {a.article_id for a in result.articles}
            if ranked & answered:
                continue
            article = result.articles[0]
            if result.features["dense"] < routing.retrieval.features["dense"] - 0.15:
                continue  # a fragment of the same message, not a question of its own
            if result.confidence >= self.router.threshold and _is_question(segment):
                if len(parts) < MAX_QUESTIONS_ANSWERED:
                    answered.add(article.article_id)
                    parts.append(AnswerPart(
                        chunks=self._answering_chunks(
                            article, result.embedding, segment, language
                        )
                    ))
            elif _is_question(segment) and not ranked & near_whole:
                uncovered.append(segment)
        return parts, uncovered[:1]

    def _answering_chunks(
        self, article: RetrievedArticle, query: Vectors, text: str, language: str
    ) -> list[IndexedChunk]:
        """The article's opening (written to answer its main question) and, when another
        section is more like the question, that section too. "Like" is the cosine plus the
        share of the question's words the section uses ("dishwasher", "gift wrap"): the
        model alone blurs a specific word inside a long section."""
        sections = self.retriever.body_chunks(article.article_id, language)
        if not sections:
            return []
        vectors = self.retriever.stored_vectors([c.id for c in sections])
        # The example question the message matched best says, in the seller's words, what
        # is asked ("Do you take Amex?" → the section listing American Express): the message
        # and that question both pick the section.
        matched = next((c for c in article.chunks if c.kind == "question"), None)
        if matched is not None:
            asked_like = self.retriever.stored_vectors([matched.id])[0]
            query = query + MATCHED_QUESTION_WEIGHT * asked_like
        asked = set(tokenize(text))
        share = max(1, len(asked))
        overlap = np.array([len(asked & set(tokenize(c.text))) / share for c in sections])
        # Subject words of the buyer's that only some sections use ("wrap" where every section
        # says "gift"), weighted by how few of the sections use them.
        stems = [content_stems(c.text) for c in sections]
        # The matched example question's words count as asked too ("Can I edit the review I
        # wrote?" for "want to change my 1 star review").
        asked_stems = content_stems(f"{text} {matched.text if matched is not None else ''}")
        rarity = {
            stem: 1.0 - used / len(sections)
            for stem in asked_stems
            if 0 < (used := sum(stem in section for section in stems)) < len(sections)
        }
        distinct_overlap = np.array([
            sum(rarity.get(stem, 0.0) for stem in section) / max(1, len(asked_stems))
            for section in stems
        ])
        heading_fill = np.array([
            len(asked_stems & heading) / len(heading) if (heading := content_stems(c.heading))
            else 0.0
            for c in sections
        ])
        scores = (vectors @ query + WORD_OVERLAP_WEIGHT * overlap
                  + DISTINCT_WORD_WEIGHT * distinct_overlap + HEADING_WEIGHT * heading_fill)
        # Catch-all sections ("Good to know") mention a bit of everything: they must beat
        # the opening by more before they are quoted.
        margins = np.array([
            SECTION_MARGIN + (CATCH_ALL_MARGIN if _CATCH_ALL.search(c.heading) else 0.0)
            for c in sections
        ])
        best = int(np.argmax(scores - margins))
        if best == 0 or scores[best] < scores[0] + margins[best]:
            return [sections[0]]
        if _repeats(sections[0].text, sections[best].text):
            return [sections[0]]
        return [sections[0], sections[best]]

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
    def _cited_passages(
        composed: ComposedReply, chunks: Sequence[IndexedChunk]
    ) -> list[CitedPassage]:
        by_id = {c.id: c for c in chunks}
        return [
            CitedPassage(
                chunk_id=chunk.id, article_id=chunk.article_id, revision=chunk.revision,
                text=chunk.text,
            )
            for chunk in (by_id.get(c.chunk_id) for c in composed.citations)
            if chunk is not None
        ]


# Topics that already fit each explicit policy question (first: the one to use instead).
_TOPIC_FAMILIES: dict[str, tuple[str, ...]] = {
    "cancel_order": ("cancel_order", "check_cancellation_fee"),
    "exchange_item": ("change_order",),
    "return_item": ("check_refund_policy", "get_refund", "track_refund"),
    "get_refund": ("get_refund", "track_refund", "check_refund_policy"),
    "warranty": ("warranty",),
}
_POLICY_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cancel_order", re.compile(r"\bcancel(l?ing|l?ed|lation)?\b", re.I)),
    ("exchange_item", re.compile(
        r"\b(exchange|swap)\b|\bswitch\b[^.?!]{0,40}\b(for|to) (a|an|the) ([\w-]+ )?"
        r"(one|size|colou?r|model|version)\b", re.I,
    )),
    ("return_item", re.compile(
        r"\b(return(ing|ed|able)?|restocking|"
        r"send(ing)? (it|this|that|them|the \w+|my \w+|\w+) back|"
        r"send back|give (it|this|them) back|take (it|this|them) back|bring (it|this|them) back|"
        r"ship (it|this|them) back|mail (it|this|them) back)\b",
        re.I,
    )),
    ("get_refund", re.compile(r"\b(refund|money back)\b", re.I)),
    ("warranty", re.compile(
        r"\b(warrant(y|ies)|guarantee|(is|are) (that|it|this|they) covered|covered by|"
        r"(fix|repair) (it|this|that|them)|(fix|repair) or replace)\b", re.I,
    )),
)


# The same questions in de, fr, es, it, ja, read when no English one is found.
_POLICY_QUESTIONS_OTHER: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cancel_order", re.compile(r"storn|annul|cancel|キャンセル|取り消", re.I)),
    # "cambiar"/"cambio" alone is any change (of an address, a plan): an exchange is a
    # change of the item for another ("cambiarlo por", "cambio de talla").
    ("exchange_item", re.compile(
        r"umtausch|umtauschen|échange|échanger|"
        r"cambiar(?:l[oa])? por|cambio por|cambio de (?:talla|color|modelo|tamaño)|"
        r"cambiarl[oa] por|sostituir|sostituzione|cambiarl[oa] con|交換", re.I,
    )),
    ("return_item", re.compile(
        r"zurück(schicken|senden|geben|gesendet|geschickt)|rücksend|rückgabe|retour|"
        r"retourner|renvoyer|devolver|devoluci|devuelv|restituir|\breso\b|\brendere\b|返品|返送",
        re.I,
    )),
    ("get_refund", re.compile(
        r"erstatt|geld zurück|rembours|reembols|rimbors|返金", re.I,
    )),
    ("warranty", re.compile(r"garantie|gewährleistung|garantía|garanzia|保証", re.I)),
)


def _policy_article_first(articles: list[RetrievedArticle], asked: str) -> None:
    """An explicit policy question with a verdict is answered from an article about that
    policy: when the best match is tagged with other topics only (contact-us, change-order
    for "can I still cancel?"), the best-ranked article tagged with the asked policy's
    topics goes first. Untagged articles are left where they are (a damaged-item or warranty
    article has no classifier topic and is often the right one)."""
    family = set(_TOPIC_FAMILIES[asked])
    if not articles or not articles[0].intents or family & set(articles[0].intents):
        return
    for position, article in enumerate(articles[1:], start=1):
        if family & set(article.intents):
            articles.insert(0, articles.pop(position))
            return


def policy_question(text: str) -> str | None:
    """The policy decision the buyer explicitly asks about, whatever the topic classifier says.

    "Can I still return the kettle?" needs a return verdict even when the message is
    classified as a change of order; eligibility is always decided by the policy engine.
    A problem with the item itself (damaged, wrong, missing, faulty) asks for the return
    rules that apply to seller faults — and, past the window, the warranty — even when the
    buyer does not say "return".
    """
    for topic, pattern in _POLICY_QUESTIONS:
        if pattern.search(text):
            return topic
    for topic, pattern in _POLICY_QUESTIONS_OTHER:
        if pattern.search(text):
            return topic
    if problem_in(text) in {"damaged", "defective", "wrong_item", "missing"}:
        return "return_item"
    return None

