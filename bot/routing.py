"""The one decision drafting and evaluation share: understand, retrieve, answer or hand off.

Hand-off reasons (``Routing.handoff_reason``, comma-joined, most urgent first): ``safety``,
``legal``, ``fraud``, ``angry``, ``human_request`` — a person must read these whatever the
KB says — and ``out_of_scope`` (not the seller's business; ``marketplace_account`` is added
for the buyer's Amazon account) or ``low_confidence`` (a shop question the KB does not
answer well enough). Sales pitches and job applications are handed off as ``out_of_scope``
with "no response needed" suggested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.facts import Understanding
from bot.retrieval import HybridRetriever, RetrievalResult
from bot.understanding.escalation import escalation_reasons
from bot.understanding.signals import (
    closes_the_conversation,
    detect_language,
    find_order_ids,
    sentiment_of,
    strip_invisible_characters,
    without_injected_instructions,
)
from bot.understanding.tiers import MARKETPLACE_TOPICS, OUT_OF_SCOPE

# A tier C/D topic must be this likely before it decides the hand-off on its own.
TOPIC_DECISION_PROBABILITY = 0.5
# Below this cosine nothing in the KB is about the message at all: it is out of scope
# rather than a gap in the KB.
UNRELATED_BELOW = 0.35
# The buyer's Amazon account itself (sign-in, password, Prime, account e-mail) is Amazon's
# business, however closely the words match the seller's privacy or address articles.
_AMAZON_ACCOUNT = re.compile(
    r"\b(my|the|an?) amazon (account|password|log-?in|profile|prime)\b|\bamazon "
    r"(password|sign[- ]in|log-?in|verification code|prime (membership|fee|trial))\b|"
    r"\b(reset|forgot|change|recover)\w* (my )?(amazon )?password\b|\bprime (membership|"
    r"subscription|trial|fee)\b|\bamazon household\b|\bcheck (my )?(amazon )?gift card balance\b|"
    r"\bsell(ing)? (my own \w+ |my \w+ |things |stuff )?on amazon\b",
    re.I,
)
# The same in de, fr, es, it, ja: the Amazon account, its password and Prime.
_AMAZON_ACCOUNT_OTHER = re.compile(
    r"amazon[- ]?(konto|passwort|kennwort)|passwort|kennwort|\bpassword\b|prime[- ]?mitgliedschaft|"
    r"compte amazon|mot de passe|abonnement (amazon )?prime|"
    r"cuenta de amazon|contraseña|contrasena|suscripci[oó]n (a |de )?(amazon )?prime|"
    r"account amazon|account di amazon|abbonamento (amazon )?prime|"
    r"amazon\s*の?\s*アカウント|パスワード|プライム会員",
    re.I,
)
# Sales pitches and job applications sent to the shop's inbox: not a buyer's question. A
# person decides, and the desk suggests no reply at all.
_SOLICITATION = re.compile(
    r"\b(we are an? (\w+ ){0,3}(agency|factory|manufacturer|supplier|firm|consultancy)|"
    r"looking for (distributors|resellers|wholesalers|partners)|free (audit|consultation)|"
    r"(page one|first page) of google|apply for (a|an|any|the) (\w+ ){0,2}(position|job|role)|"
    r"(cv|resume|résumé) attached|we (provide|offer) .{0,60} for (online |amazon |e-?commerce )?"
    r"sellers|partnership (opportunity|proposal)|seo services|guest post)\b",
    re.I,
)


@dataclass
class Routing:
    """Everything the decision was based on, kept for the draft and for evaluation."""

    understanding: Understanding
    retrieval: RetrievalResult
    confidence: float
    handoff: bool
    handoff_reason: str | None
    # Thanks-only / "that's all": suggest marking the conversation "no response needed".
    no_response_needed: bool = False
    # The buyer's text as understood: without invisible characters and without sentences
    # addressed to a model (prompt injection), which are never answered or escalated.
    text: str = ""
    injection_removed: bool = False


class Router:
    """Understanding + hybrid retrieval + the answer/hand-off decision."""

    def __init__(self, *, retriever: HybridRetriever, threshold: float | None = None) -> None:
        self.retriever = retriever
        self._threshold = threshold

    @property
    def threshold(self) -> float:
        """An explicit threshold (setting) or the KB's calibrated one."""
        if self._threshold is not None:
            return self._threshold
        return self.retriever.calibration.threshold

    def understand(
        self, text: str, retrieval: RetrievalResult, *, language: str | None = None
    ) -> Understanding:
        sentiment, urgency = sentiment_of(text)
        topics = [t for t, _ in retrieval.topics if t != OUT_OF_SCOPE]
        top_topic, top_probability = next(
            ((t, p) for t, p in retrieval.topics if t != OUT_OF_SCOPE), (None, 0.0)
        )
        return Understanding(
            language=language or detect_language(text),
            sentiment=sentiment,
            urgency=urgency,
            sensitive=escalation_reasons(text, angry=sentiment == "angry"),
            order_ids=find_order_ids(text),
            topic=top_topic,
            topic_confidence=top_probability,
            topics=topics[:5],
            out_of_scope=retrieval.out_of_scope,
        )

    @staticmethod
    def read_text(text: str) -> tuple[str, bool, str]:
        """What is routed of a buyer text: the text without invisible characters and without
        instructions addressed to a model, whether any were removed, and its language."""
        text, injected = without_injected_instructions(strip_invisible_characters(text).strip())
        return text, injected, detect_language(text)

    def route(self, text: str, *, k: int = 5) -> Routing:
        """Decide for one buyer text (the unanswered messages joined)."""
        text, injected, language = self.read_text(text)
        retrieval = self.retriever.retrieve(
            text, k=k, has_order=bool(find_order_ids(text)), language=language
        )
        understanding = self.understand(text, retrieval, language=language)
        reasons = list(understanding.sensitive)
        closing = not reasons and closes_the_conversation(text)
        if not reasons and _SOLICITATION.search(text):
            reasons, closing = ["out_of_scope"], True
        if not reasons and not closing:
            reasons = self._scope_reasons(understanding, retrieval, text)
        return Routing(
            understanding=understanding,
            retrieval=retrieval,
            confidence=retrieval.confidence,
            handoff=bool(reasons),
            handoff_reason=",".join(reasons) or None,
            no_response_needed=closing,
            text=text,
            injection_removed=injected,
        )

    def _scope_reasons(
        self, u: Understanding, retrieval: RetrievalResult, text: str
    ) -> list[str]:
        likely = u.topic_confidence >= TOPIC_DECISION_PROBABILITY
        if likely and u.topic == "contact_human_agent":
            return ["human_request"]
        if likely and u.topic == "complaint":
            return ["angry"] if u.sentiment in {"negative", "angry"} else ["human_request"]
        if (
            (likely and u.topic in MARKETPLACE_TOPICS)
            or _AMAZON_ACCOUNT.search(text)
            or (u.language != "en" and _AMAZON_ACCOUNT_OTHER.search(text))
        ):
            return ["out_of_scope", "marketplace_account"]
        if not retrieval.articles:
            return ["out_of_scope"]
        if retrieval.confidence < self.threshold:
            unrelated = (
                retrieval.out_of_scope >= 0.5 or retrieval.features["dense"] < UNRELATED_BELOW
            )
            return ["out_of_scope"] if unrelated else ["low_confidence"]
        return []
