"""The bot's shared vocabulary (ARCHITECTURE §1, §4): order facts, verdicts, checks,
citations, evidence and the draft itself. Every package inside ``bot`` may import it; it
imports none of them."""

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
    # Set when the cited article is a translation: the article it translates.
    translation_of: str | None = None

    @property
    def topic_article_id(self) -> str:
        """The article this citation answers with, whatever the language it was quoted in."""
        return self.translation_of or self.article_id


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
    # "marketplace": Amazon fulfilled the order and runs its returns and refunds; the
    # reply points the buyer to Your Orders and never promises a return "to us".
    handled_by: Literal["seller", "marketplace"] = "seller"


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
    currency: str | None = None


class CitedPassage(BaseModel):
    """The exact text of a chunk a draft cited, as it was when the draft was made."""

    chunk_id: str
    article_id: str
    revision: int
    text: str


class ReplySource(BaseModel):
    """Where one paragraph of a draft came from, so the agent knows what to read closely:
    ``template`` (our own wording filled with order facts and verdicts: trusted), ``kb``
    (quoted from the seller's article ``article_id``, in ``locale``) or ``model`` (written
    by the LLM from the evidence)."""

    text: str
    origin: Literal["template", "kb", "model"]
    article_id: str | None = None
    locale: str | None = None


class DraftEvidence(BaseModel):
    """What a draft was built on, stored with it so an agent's edit is re-checked against
    exactly the same passages, buyer name, order facts and verdicts (ARCHITECTURE §4)."""

    cited: list[CitedPassage] = Field(default_factory=list)
    buyer_name: str | None = None
    order: OrderFacts | None = None
    verdicts: list[PolicyVerdict] = Field(default_factory=list)
    # The orders the conversation was bound to when drafting (issue 15): the only orders a
    # reply may name or state facts of. None on drafts stored before bindings existed.
    bound_order_ids: list[str] | None = None
    # The language the reply was written in (its checks run in it) and the quoted KB text
    # that is not in that language (issue 13). None on drafts stored before.
    reply_language: str | None = None
    untranslated_kb_text: list[str] = Field(default_factory=list)
    # The draft paragraph by paragraph, with where each came from (issue 13). Empty on
    # drafts stored before.
    reply_sources: list[ReplySource] = Field(default_factory=list)

    @property
    def cited_texts(self) -> list[str]:
        return [passage.text for passage in self.cited]


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
    # The language the reply is written in (the buyer's; issue 13), and the quoted KB
    # passages that are still in the KB's language — the agent checks those before sending.
    reply_language: str = "en"
    untranslated_kb_text: list[str] = Field(default_factory=list)
    reply_sources: list[ReplySource] = Field(default_factory=list)
    sentiment: str = "neutral"
    citations: list[Citation] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    composer: str = "offline"
    order: OrderFacts | None = None
    verdicts: list[PolicyVerdict] = Field(default_factory=list)
    kb_revisions: dict[str, int] = Field(default_factory=dict)
    # Thanks-only / "that's all": the agent is offered *no response needed* first.
    suggest_no_response: bool = False
    evidence: DraftEvidence = Field(default_factory=DraftEvidence)
    # Diagnostics for people reading a draft's JSON (retrieval features, ranked topics);
    # nothing that a decision or a check depends on lives here.
    debug: dict[str, Any] = Field(default_factory=dict)

    def ask_json(self) -> dict[str, Any]:
        """The object ``draftdesk ask --json`` prints (and evaluations record per query)."""
        return self.model_dump(
            mode="json",
            exclude={"debug", "kb_revisions", "sentiment", "handoff_reason", "evidence"},
        )

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed and c.severity == "block"]
