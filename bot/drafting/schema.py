"""What a draft carries (ARCHITECTURE §4): text, citations, confidence, checks and more."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["block", "warn"]


class Citation(BaseModel):
    """A retrieved chunk the draft relies on."""

    article_id: str
    revision: int
    title: str
    chunk_id: str


class CheckResult(BaseModel):
    """The outcome of one reply check; a failed ``block`` check stops approval."""

    id: str
    severity: Severity
    passed: bool
    message: str


class PolicyVerdict(BaseModel):
    """A decision taken in code by the policy engine, with the rules that decided it."""

    kind: Literal["return", "refund", "cancel", "exchange", "restocking_fee", "warranty"]
    eligible: bool
    deadline: date | None = None
    fee_percent: float = 0.0
    rule_ids: list[str] = Field(default_factory=list)
    text: str
    refund_method: str | None = None
    refund_timing_text: str | None = None


class OrderItemFacts(BaseModel):
    sku: str
    title: str
    category: str | None = None
    price: float | None = None
    quantity: int = 1


class OrderFacts(BaseModel):
    """Facts about one order, taken from order data (never from the buyer's words)."""

    order_id: str
    status: str
    purchase_date: date | None = None
    shipped_at: date | None = None
    estimated_delivery: date | None = None
    delivered_at: date | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    items: list[OrderItemFacts] = Field(default_factory=list)
    fulfillment_channel: str | None = None
    marketplace: str | None = None


class Understanding(BaseModel):
    """What the bot understood of the buyer's message."""

    language: str
    sentiment: Literal["positive", "neutral", "negative", "angry"]
    urgency: Literal["normal", "high"]
    sensitive: list[str] = Field(default_factory=list)  # e.g. legal, safety, health, threat
    order_ids: list[str] = Field(default_factory=list)
    topic: str | None = None
    topic_confidence: float = 0.0
    topics: list[str] = Field(default_factory=list)  # ranked, best first
    out_of_scope: float = 0.0  # probability the message is not about the seller's business


class DraftReply(BaseModel):
    """A proposed reply; nothing reaches a buyer until a person approves it."""

    text: str
    handoff: bool
    handoff_reason: str | None = None
    confidence: float
    intents: list[str] = Field(default_factory=list)
    language: str = "en"
    sentiment: str = "neutral"
    citations: list[Citation] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    composer: str = "offline"
    order: OrderFacts | None = None
    verdicts: list[PolicyVerdict] = Field(default_factory=list)
    kb_revisions: dict[str, int] = Field(default_factory=dict)
    debug: dict[str, Any] = Field(default_factory=dict)

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "block"]
