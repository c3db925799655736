"""The offline composer: a humane reply built from the best article(s), no LLM needed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.drafting.schema import Citation, OrderFacts, PolicyVerdict
from ingest.index import IndexedChunk

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MAX_ANSWER_CHARS = 900
# Marketplace messages are limited to 2,000 characters; keep a margin for an agent's edit.
MAX_REPLY_CHARS = 1900
MIN_ANSWER_CHARS = 300


@lru_cache(maxsize=4)
def load_wording(language: str = "en") -> dict[str, Any]:
    path = TEMPLATES_DIR / f"offline_{language}.yaml"
    if not path.exists():
        path = TEMPLATES_DIR / "offline_en.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@dataclass
class ComposeInput:
    """What the composer may use; every fact in the reply comes from these."""

    buyer_name: str | None
    topic: str | None
    sentiment: str
    handoff: bool
    handoff_reason: str | None
    answer_chunks: Sequence[IndexedChunk] = ()
    order: OrderFacts | None = None
    unknown_order_id: str | None = None
    verdicts: Sequence[PolicyVerdict] = ()
    seller_name: str = "our shop"
    signature: str = "The team"
    extra_answers: Sequence[IndexedChunk] = field(default_factory=tuple)


@dataclass
class ComposedReply:
    text: str
    citations: list[Citation]


def first_name(name: str | None) -> str | None:
    if not name:
        return None
    part = re.sub(r"[^\w' -]", "", name).strip().split()
    return part[0].capitalize() if part else None


def _plain(markdown: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), markdown)
    text = re.sub(r"(?<!\w)[*_](\S.*?\S|\S)[*_](?!\w)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return text.strip()


def chunk_paragraphs(chunk: IndexedChunk) -> list[str]:
    """The chunk's paragraphs without its title/heading prefix line or Markdown headings."""
    lines = chunk.text.splitlines()
    if lines and chunk.title and lines[0].strip().startswith(chunk.title):
        lines = lines[1:]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.lstrip().startswith("#") or not line.strip():
            if current:
                paragraphs.append("\n".join(current))
                current = []
            continue
        current.append(line.rstrip())
    if current:
        paragraphs.append("\n".join(current))
    return [_plain(p) for p in paragraphs if p.strip()]


_STATUS_WORDS = {
    "pending": "being confirmed by Amazon",
    "unshipped": "being prepared for shipping",
    "invoice_unconfirmed": "waiting for its invoice to be confirmed",
    "pending_availability": "waiting for the item to become available",
    "unfulfillable": "not one we can ship from our own stock",
}


def _order_sentence(order: OrderFacts) -> str:
    def day(d: Any) -> str:
        return f"{d.day} {d:%B %Y}"

    status = _STATUS_WORDS.get(order.status, order.status.replace("_", " "))
    if order.delivered_at:
        text = f"Order {order.order_id} was delivered on {day(order.delivered_at)}."
    elif order.status in {"shipped", "partially_shipped"} and order.shipped_at:
        text = f"Order {order.order_id} shipped on {day(order.shipped_at)}"
        if order.carrier:
            text += f" with {order.carrier}"
        if order.tracking_number:
            text += f" (tracking number {order.tracking_number})"
        text += "."
        if order.estimated_delivery:
            text += f" It's expected to arrive by {day(order.estimated_delivery)}."
    elif order.status == "canceled":
        text = f"Order {order.order_id} has been cancelled."
    else:
        text = f"Order {order.order_id} is currently {status}."
        if order.estimated_delivery:
            text += f" It's expected to arrive by {day(order.estimated_delivery)}."
    return text


def _fit_verdicts(verdicts: Sequence[PolicyVerdict], budget: int) -> list[str]:
    """Verdict sentences (each stated once) that fit the budget; the rest are left to the agent."""
    texts: list[str] = []
    covered: set[str] = set()
    distinct: list[str] = []
    for verdict in verdicts:
        # A verdict whose rules an earlier one already stated (e.g. the warranty inside a
        # "return window closed" verdict) would only repeat it.
        if verdict.rule_ids and set(verdict.rule_ids) <= covered:
            continue
        covered.update(verdict.rule_ids)
        distinct.append(verdict.text)
    for text in dict.fromkeys(distinct):
        if texts and sum(len(t) + 2 for t in texts) + len(text) > budget:
            break
        texts.append(text)
    return texts


class OfflineComposer:
    """Builds: greeting, acknowledgement, answer, order facts and verdicts, next step, sign-off."""

    name = "offline"

    def __init__(self, *, language: str = "en") -> None:
        self._w = load_wording(language)

    def subject(self, topic: str | None) -> str:
        subjects: dict[str, str] = self._w["subjects"]
        return subjects.get(topic or "", subjects["default"])

    def acknowledgement(self, topic: str | None, sentiment: str) -> str:
        table: dict[str, dict[str, str]] = self._w["acknowledgements"]
        mood = table.get(sentiment, table["neutral"])
        key = topic if topic in mood else ("default" if topic else "no_topic")
        template = mood.get(key) or table["neutral"][key]
        return template.format(subject=self.subject(topic))

    def compose(self, data: ComposeInput) -> ComposedReply:
        w = self._w
        name = first_name(data.buyer_name)
        greeting = w["greeting_named"].format(first_name=name) if name else w["greeting_unnamed"]
        sign_off = f"{w['sign_off']}\n{data.signature}"
        ack = self.acknowledgement(data.topic, data.sentiment)
        if data.handoff:
            reason = (data.handoff_reason or "").split(":")[0]
            handoff: dict[str, str] = w["handoff"]
            body = handoff.get(reason, handoff["intro"]).format(seller_name=data.seller_name)
            text = "\n\n".join([greeting, ack, body, sign_off])
            return ComposedReply(text=text, citations=[])

        facts: list[str] = []
        if data.unknown_order_id:
            facts.append(w["handoff"]["unknown_order"].format(order_id=data.unknown_order_id))
        if data.order is not None:
            facts.append(_order_sentence(data.order))
        steps: dict[str, str] = w["next_steps"]
        refused = any(not v.eligible for v in data.verdicts)
        step = steps["not_eligible"] if refused else steps.get(data.topic or "", steps["default"])
        closing = [step, w["person_offer"], sign_off]
        fixed = len("\n\n".join([greeting, ack, *facts, *closing])) + 4
        verdicts = _fit_verdicts(data.verdicts, MAX_REPLY_CHARS - fixed - MIN_ANSWER_CHARS)
        fixed += sum(len(v) + 2 for v in verdicts)
        budget = max(0, min(MAX_ANSWER_CHARS, MAX_REPLY_CHARS - fixed))
        chunks = list(data.answer_chunks) + list(data.extra_answers)
        if refused:
            # The verdict is the answer; quoting the general rule next to a "no" would read
            # as a contradiction. The policy article is still cited as the verdict's source.
            answer, used = "", chunks[:1]
        else:
            answer, used = self._answer(chunks, budget=budget)
        parts = [greeting, ack, *facts, *verdicts, answer, *closing]
        citations = [
            Citation(article_id=c.article_id, revision=c.revision, title=c.title, chunk_id=c.id)
            for c in used
        ]
        return ComposedReply(
            text="\n\n".join(p.strip() for p in parts if p.strip()), citations=citations
        )

    @staticmethod
    def _answer(
        chunks: Sequence[IndexedChunk], *, budget: int
    ) -> tuple[str, list[IndexedChunk]]:
        """Quote opening paragraphs of the given chunks, within a length budget."""
        pieces: list[str] = []
        used: list[IndexedChunk] = []
        for chunk in chunks:
            paragraphs = chunk_paragraphs(chunk)
            if not paragraphs:
                continue
            paragraph = paragraphs[0]
            if paragraph in pieces:
                continue
            if len(paragraph) > budget:
                if pieces:
                    break
                sentences = re.split(r"(?<=[.!?])\s+", paragraph)
                paragraph = ""
                for sentence in sentences:
                    if len(paragraph) + len(sentence) + 1 > budget:
                        break
                    paragraph = f"{paragraph} {sentence}".strip()
                if not paragraph:
                    continue
            pieces.append(paragraph)
            used.append(chunk)
            budget -= len(paragraph)
        return "\n\n".join(pieces), used
