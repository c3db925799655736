"""What the reply checks may know about a draft besides its text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.facts import DraftReply, OrderFacts, PolicyVerdict


@dataclass(frozen=True)
class CheckContext:
    """The conversation, sources and settings a draft is checked against.

    ``cited_texts``, ``verdicts`` and ``order_facts_text`` are what the draft may state as
    fact; ``buyer_texts`` is what the buyer told us themselves (their numbers, order ids and
    contact details may be repeated back to them). ``handoff`` marks an honest hand-off
    draft, which is not expected to answer.
    """

    buyer_texts: Sequence[str] = ()
    buyer_name: str | None = None
    cited_texts: Sequence[str] = ()
    verdicts: Sequence[PolicyVerdict] = ()
    order_facts_text: str = ""
    handoff: bool = False
    # Why a person takes over (bot.routing: safety, legal, fraud, angry, human_request, …).
    handoff_reasons: Sequence[str] = ()
    # Facts about the buyer's order, structured (``order_facts_text`` is the same as text).
    order: OrderFacts | None = None
    instructions_text: str = ""
    # The orders the conversation was bound to when drafting: the only ones a reply may name
    # or state facts of (None: a draft stored before bindings existed).
    bound_order_ids: Sequence[str] | None = None
    allowed_link_domains: Sequence[str] = ()
    allowed_phone_numbers: Sequence[str] = ()
    max_chars: int = 2000
    readability_min: float = 45.0
    readability_max: float = 110.0
    # The language the reply is written in: the heuristics that read English wording
    # (acknowledgement, next step, reading ease) judge English replies only.
    reply_language: str = "en"


@dataclass(frozen=True)
class ReplyRules:
    """The seller's rules every reply is checked against (from settings, at the root)."""

    allowed_link_domains: Sequence[str] = ()
    allowed_phone_numbers: Sequence[str] = ()
    # The LLM composer's instructions: a reply that echoes them leaks the prompt.
    instructions_text: str = ""


def context_for_draft(
    draft: DraftReply, *, buyer_messages: Sequence[str], rules: ReplyRules
) -> CheckContext:
    """The context a draft's text (or an agent's edit of it) is checked in: the draft's
    stored evidence, never anything recomputed since."""
    evidence = draft.evidence
    return CheckContext(
        buyer_texts=tuple(buyer_messages),
        buyer_name=evidence.buyer_name,
        cited_texts=tuple(evidence.cited_texts),
        verdicts=tuple(evidence.verdicts),
        order_facts_text=order_facts_text(evidence.order),
        handoff=draft.handoff,
        handoff_reasons=tuple((draft.handoff_reason or "").split(",")) if draft.handoff else (),
        order=evidence.order,
        instructions_text=rules.instructions_text,
        bound_order_ids=(
            None if evidence.bound_order_ids is None else tuple(evidence.bound_order_ids)
        ),
        allowed_link_domains=tuple(rules.allowed_link_domains),
        allowed_phone_numbers=tuple(rules.allowed_phone_numbers),
        reply_language=draft.reply_language,
    )


def order_facts_text(order: OrderFacts | None) -> str:
    """Order facts as text the grounding checks search for figures and dates."""
    return "" if order is None else order.model_dump_json()
