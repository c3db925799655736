"""The drafting interface the workflow depends on (the pipeline implements it; tests fake it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.facts import CheckResult, DraftReply


@dataclass(frozen=True)
class DraftRequest:
    """Everything drafting may know about a conversation.

    ``buyer_messages`` is the unanswered part of the thread, oldest first: a reply must answer
    all of it. ``earlier_order_ids`` are order ids the buyer gave earlier in the conversation.
    """

    buyer_messages: Sequence[str]
    buyer_name: str | None = None
    conversation_id: str | None = None
    earlier_order_ids: Sequence[str] = field(default_factory=tuple)
    locale: str | None = None


class Drafter(Protocol):
    """Turns a buyer's unanswered messages into a draft for a person to review."""

    def draft(self, request: DraftRequest) -> DraftReply: ...

    def recheck(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        """Run the reply checks again on an agent's edited text of ``draft``."""
        ...
