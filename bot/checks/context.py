"""What the reply checks may know about a draft besides its text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.drafting.schema import PolicyVerdict


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
    instructions_text: str = ""
    allowed_link_domains: Sequence[str] = ()
    allowed_phone_numbers: Sequence[str] = ()
    max_chars: int = 2000
    readability_min: float = 45.0
    readability_max: float = 110.0
