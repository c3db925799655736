"""What the workflow hands out, by audience: buyers (public), reviewers (drafts), workers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bot.drafting.interface import DraftRequest
from bot.facts import CheckResult, Citation, OrderFacts, PolicyVerdict, ReplySource


class NewConversation(BaseModel):
    """A conversation just opened; ``token`` is shown once and stored only as a hash."""

    id: str
    token: str


class Acknowledgement(BaseModel):
    text: str


class ReceivedMessage(BaseModel):
    """A stored buyer message and the acknowledgement the buyer sees at once.

    ``ack`` is None when the buyer was already waiting for a reply (one acknowledgement
    per waiting period) or the channel does not acknowledge (mail).
    """

    id: int
    status: Literal["awaiting_draft"] = "awaiting_draft"
    ack: Acknowledgement | None = None


class MessagePublic(BaseModel):
    """A message as the buyer sees it (drafts are never shown)."""

    id: int
    role: Literal["buyer", "seller", "system"]
    text: str
    created_at: datetime


class ConversationStatus(BaseModel):
    """What the widget needs to show (someone will reply / a person was asked for)."""

    id: str
    state: Literal["new", "awaiting_reply", "answered"]
    needs_person: bool
    awaiting_reply: bool


class ThreadMessage(BaseModel):
    """A message as a reviewer sees it, with its workflow status and delivery record."""

    id: int
    role: Literal["buyer", "seller", "system"]
    text: str
    status: str
    created_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    text_sha256: str | None = None


class DraftSummary(BaseModel):
    """A draft in a review queue."""

    id: int
    conversation_id: str
    message_id: int
    text: str
    citations: list[Citation]
    confidence: float
    handoff: bool
    checks: list[CheckResult]
    status: str
    due_at: datetime
    created_at: datetime
    needs_person: bool
    buyer_name: str | None
    intents: list[str] = Field(default_factory=list)


class DraftDetail(DraftSummary):
    """Everything a reviewer needs to decide (ARCHITECTURE §4) plus the thread."""

    message_ids: list[int]
    handoff_reason: str | None
    suggest_no_response: bool = False
    language: str
    # The reply's language, and quoted KB text that is not in it (the agent translates or
    # checks it before sending; issue 13).
    reply_language: str = "en"
    untranslated_kb_text: list[str] = Field(default_factory=list)
    # The draft as composed, paragraph by paragraph, with where each came from.
    reply_sources: list[ReplySource] = Field(default_factory=list)
    sentiment: str
    composer: str
    order: OrderFacts | None
    verdicts: list[PolicyVerdict]
    kb_revisions: dict[str, int]
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    final_text: str | None
    final_checks: list[CheckResult] | None
    override_reason: str | None
    sent_message_id: int | None
    needs_person_reason: str | None
    thread: list[ThreadMessage]

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "block"]


class DecisionOutcome(BaseModel):
    """The result of a decision; ``message_id`` is the delivered message when sent."""

    draft_id: int
    status: str
    message_id: int | None = None


class ReplyOutcome(BaseModel):
    """A reply a person wrote themselves, delivered."""

    status: Literal["sent"] = "sent"
    message_id: int


class AttentionItem(BaseModel):
    """A conversation that needs a person without a draft to review (failed or rejected)."""

    conversation_id: str
    buyer_name: str | None
    state: str
    needs_person: bool
    needs_person_reason: str | None
    unanswered: int
    due_at: datetime
    last_error: str | None = None


@dataclass(frozen=True)
class DraftJob:
    """A claimed piece of drafting work: the unanswered messages of one conversation."""

    conversation_id: str
    claim_token: str
    inbox_version: int
    attempt: int
    message_ids: Sequence[int]
    request: DraftRequest
