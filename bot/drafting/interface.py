"""The drafting interface the workflow depends on (the pipeline implements it; tests fake it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bot.facts import CheckResult, DraftReply


@dataclass(frozen=True)
class DraftRequest:
    """Everything drafting may know about a conversation.

    ``buyer_messages`` is the unanswered part of the thread, oldest first: a reply must answer
    all of it. ``earlier_order_ids`` are order ids the buyer gave earlier in the conversation.

    Order facts and verdicts are drafted only for ``bound_order_ids``: the orders this
    conversation is bound to (the mail thread's order, an order the widget buyer verified, one
    an agent bound). An order id the buyer names without a binding gets a request to verify
    it, never its facts. ``for_seller`` marks the seller's own question (``draftdesk ask``,
    ``eval drafts``): every order it names counts as bound, as a relay mail from that
    order's buyer would be. ``channel`` ("widget", "mail") says how the buyer can verify.
    """

    buyer_messages: Sequence[str]
    buyer_name: str | None = None
    conversation_id: str | None = None
    earlier_order_ids: Sequence[str] = field(default_factory=tuple)
    locale: str | None = None
    bound_order_ids: Sequence[str] = field(default_factory=tuple)
    for_seller: bool = False
    channel: str | None = None

    def is_bound(self, order_id: str) -> bool:
        """Whether drafts may state facts of ``order_id`` in this conversation."""
        return self.for_seller or order_id in self.bound_order_ids


class Drafter(Protocol):
    """Turns a buyer's unanswered messages into a draft for a person to review."""

    def draft(self, request: DraftRequest) -> DraftReply: ...

    def recheck(
        self, text: str, *, draft: DraftReply, buyer_messages: Sequence[str]
    ) -> list[CheckResult]:
        """Run the reply checks again on an agent's edited text of ``draft``."""
        ...


@runtime_checkable
class PreparesBatches(Protocol):
    """A drafter that can do part of several drafts' work at once (the worker's backlog)."""

    def prepare(self, requests: Sequence[DraftRequest]) -> int:
        """Work done ahead for ``requests`` (e.g. their embeddings in one model call)."""
        ...

    def discard_prepared(self) -> None:
        """Drop what :meth:`prepare` made and no draft used."""
        ...
