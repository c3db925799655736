"""The offline composer: a humane reply built from the best article(s), no LLM needed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.drafting.openings import item_name, problem_in
from bot.facts import Citation, OrderFacts, PolicyVerdict
from bot.policy.wording import format_day_for, verdict_text
from ingest.index import IndexedChunk

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
MAX_ANSWER_CHARS = 900
# Marketplace messages are limited to 2,000 characters; keep a margin for an agent's edit.
MAX_REPLY_CHARS = 1900
MIN_ANSWER_CHARS = 300
# An article with no translation in the reply's language: its quoted text is kept
# short, so the reply stays one the buyer can read (the agent is told what is untranslated).
MAX_FOREIGN_ANSWER_CHARS = 350
KB_LANGUAGE = "en"


@lru_cache(maxsize=8)
def load_wording(language: str = "en") -> dict[str, Any]:
    path = TEMPLATES_DIR / f"offline_{language}.yaml"
    if not path.exists():
        path = TEMPLATES_DIR / "offline_en.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@dataclass
class AnswerPart:
    """The part of the reply that answers one of the buyer's questions from one article."""

    chunks: Sequence[IndexedChunk]


@dataclass
class ComposeInput:
    """What the composer may use; every fact in the reply comes from these."""

    buyer_name: str | None
    sentiment: str
    handoff: bool
    handoff_reasons: Sequence[str] = ()
    answers: Sequence[AnswerPart] = ()
    uncovered_questions: Sequence[str] = ()
    order: OrderFacts | None = None
    unknown_order_id: str | None = None
    verdicts: Sequence[PolicyVerdict] = ()
    seller_name: str = "our shop"
    signature: str = "The team"
    buyer_text: str = ""
    # What the buyer asks the policy about ("return_item", "cancel_order", …), if anything.
    policy_question: str | None = None
    no_response_needed: bool = False
    order_id_given: bool = False
    # The seller's product names (from their catalogue), to name the buyer's item when no
    # order is known: "the new linen duvet cover" → "duvet", never "new".
    product_names: frozenset[str] = frozenset()
    # The language the reply is written in (the buyer's): en, de, fr, es, it or ja.
    language: str = "en"

    @property
    def answer_chunks(self) -> list[IndexedChunk]:
        """Every chunk the answer may quote or cite, in order."""
        return [chunk for part in self.answers for chunk in part.chunks]


@dataclass
class ComposedReply:
    text: str
    citations: list[Citation]
    # Quoted KB passages that are not in the reply's language (for the agent to check).
    untranslated: list[str] = field(default_factory=list)
    # The reply's paragraphs quoted from the KB, and the chunk each came from; every other
    # paragraph is our own template wording (the pipeline labels them for the agent).
    kb_paragraphs: dict[str, IndexedChunk] = field(default_factory=dict)


def greeting_name(name: str | None) -> str | None:
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
    return [_without_yes_no_opener(_plain(p)) for p in paragraphs if p.strip()]


# "No. There is never a fee to cancel." answers the article's own heading question; quoted
# for another question ("can I cancel before you ship?") the bare "No." reads as a refusal.
_YES_NO_OPENER = re.compile(
    r"^(?:(?:No|Yes|Nein|Ja|Non|Oui|Sí|Si|Sì)[.!]\s+(?=\S)|(?:はい|いいえ)、[^。]{0,12}。)"
)


def _without_yes_no_opener(paragraph: str) -> str:
    rest = _YES_NO_OPENER.sub("", paragraph, count=1)
    return rest if rest.strip() else paragraph


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
    arrival = (
        f" It's expected to arrive by {day(order.estimated_delivery)}."
        if order.estimated_delivery else ""
    )
    if order.delivered_at:
        return f"Order {order.order_id} was delivered on {day(order.delivered_at)}."
    if order.status == "delivered":
        return f"Order {order.order_id} has been delivered."
    if order.status in {"shipped", "partially_shipped"} and order.shipped_at:
        partly = order.status == "partially_shipped"
        text = f"{'Part of order' if partly else 'Order'} {order.order_id} shipped on "
        text += day(order.shipped_at)
        if order.carrier:
            text += f" with {order.carrier}"
        if order.tracking_number:
            text += f" (tracking number {order.tracking_number})"
        text += ", and the rest follows in a separate parcel." if partly else "."
        return text + arrival
    if order.status == "canceled":
        return f"Order {order.order_id} has been cancelled."
    return f"Order {order.order_id} is currently {status}.{arrival}"


def _order_sentence_in(order: OrderFacts, w: dict[str, Any], language: str) -> str:
    """The order-status sentence from the language's templates (dates in its format)."""
    t: dict[str, str] = w["order"]
    values = {"order_id": order.order_id, "status": order.status.replace("_", " ")}
    arrival = (
        " " + t["arrival"].format(date=format_day_for(order.estimated_delivery, language))
        if order.estimated_delivery else ""
    )
    if language == "ja":
        arrival = arrival.strip()
    if order.delivered_at:
        return t["delivered"].format(delivered=format_day_for(order.delivered_at, language),
                                     **values)
    if order.status == "delivered":
        return t["delivered_no_date"].format(**values)
    if order.status in {"shipped", "partially_shipped"} and order.shipped_at:
        key = "partly_shipped" if order.status == "partially_shipped" else "shipped"
        return t[key].format(
            shipped=format_day_for(order.shipped_at, language),
            carrier_part=t["carrier_part"].format(carrier=order.carrier) if order.carrier else "",
            tracking_part=(
                t["tracking_part"].format(tracking=order.tracking_number)
                if order.tracking_number else ""
            ),
            **values,
        ) + arrival
    if order.status == "canceled":
        return t["canceled"].format(**values)
    return t.get(order.status, t["other"]).format(**values) + arrival


def _shipped_by_marketplace(order: OrderFacts | None) -> bool:
    return (
        order is not None
        and order.fulfillment_channel == "marketplace"
        and order.status in {"shipped", "partially_shipped", "delivered"}
    )


# A day as verdicts write it in every language ("31 January 2027", "31 gennaio 2027",
# "2027年1月31日").
_DATE = re.compile(r"\b\d{1,2}\.? (?:de )?\w+ (?:de )?\d{4}\b|\d{4}年\d{1,2}月\d{1,2}日")


# Verdicts that only state the order's state (nothing the buyer asked for is refused).
_SETTLED_RULES = frozenset({"cancel.already_canceled", "cancel.unfulfillable"})
_KNOWS_CANCELED = re.compile(
    r"\b(got|was|were|been|is|are|already|it's|its)\s+(cancell?ed|canceled)\b", re.I
)


def _fit_verdicts(verdicts: Sequence[PolicyVerdict], budget: int,
                  text_of: Callable[[PolicyVerdict], str] = lambda v: v.text) -> list[str]:
    """Verdict sentences (each stated once) that fit the budget; the rest are left to the agent."""
    texts: list[str] = []
    covered: set[str] = set()
    distinct: list[str] = []
    for verdict in verdicts:
        # A verdict whose rules an earlier one already stated (e.g. the warranty inside a
        # "return window closed" verdict) would only repeat it.
        if verdict.rule_ids and set(verdict.rule_ids) <= covered:
            continue
        text = text_of(verdict)
        # "It has shipped, so it can't be canceled — but once it arrives you can return it
        # until 31 January 2027" already gave the return date: a return verdict with no
        # other date would say it again.
        dates = set(_DATE.findall(text))
        if (verdict.kind == "return" and verdict.eligible and distinct and dates
                and dates <= set(_DATE.findall(" ".join(distinct)))):
            continue
        covered.update(verdict.rule_ids)
        distinct.append(text)
    for text in dict.fromkeys(distinct):
        if texts and sum(len(t) + 2 for t in texts) + len(text) > budget:
            break
        texts.append(text)
    return texts


class OfflineComposer:
    """Builds: greeting, an opening about the buyer's actual problem, order facts and
    verdicts, the answer to each question, what was passed to a colleague, one closing line,
    sign-off. Hand-offs get a holding reply true to their reason."""

    name = "offline"

    def __init__(self, *, language: str = "en") -> None:
        self._language = language
        self._w = load_wording(language)

    def _wording(self, data: ComposeInput) -> dict[str, Any]:
        """The reply language's wording (the buyer's), else the composer's own."""
        return self._w if data.language == self._language else load_wording(data.language)

    def opening(self, data: ComposeInput, item: str) -> str:
        openings: dict[str, str] = self._wording(data)["openings"]
        problem = problem_in(data.buyer_text)
        delivered = data.order is not None and data.order.delivered_at is not None
        if problem == "late" and (delivered or _RESOLVED.search(data.buyer_text)):
            problem = None  # it did arrive (the order facts or the buyer say so)
        if data.sentiment == "angry":
            return openings["angry"]
        if problem is not None:
            return openings[problem].format(item=item)
        if data.policy_question in openings:
            return openings[data.policy_question].format(item=item).replace("your item", "it")
        # VADER's polarity is too unreliable on short buyer questions to open with "kind
        # message" or "sorry about the trouble"; a neutral thank-you never misreads them.
        return str(openings["neutral"])

    def compose(self, data: ComposeInput) -> ComposedReply:
        w = self._wording(data)
        english = data.language == "en"
        name = greeting_name(data.buyer_name)
        greeting = w["greeting_named"].format(first_name=name) if name else w["greeting_unnamed"]
        sign_off = f"{w['sign_off']}\n{_signature_in_language(data, w)}"
        item = item_name(data.order, data.buyer_text, known=data.product_names)
        if not english:
            # Product names come from the English catalogue: in another language the reply
            # says "Artikel", "article", "商品" rather than mixing in "kettle".
            item = str(w["item_word"])
        if data.handoff:
            body = self._handoff_text(data, item if english else "item")
            return ComposedReply(text="\n\n".join([greeting, body, sign_off]), citations=[])
        if data.no_response_needed:
            ordered = data.order is not None and item != "item"
            closing = w["closing_reply"] if ordered else w["closing_reply_no_item"]
            text = "\n\n".join([greeting, closing.format(item=item), sign_off])
            return ComposedReply(text=text, citations=[])

        facts: list[str] = []
        if data.unknown_order_id:
            facts.append(w["handoff"]["unknown_order"].format(order_id=data.unknown_order_id))
        # "Already canceled" states where the order is, not a "no" to what was asked: the
        # order sentence would say it twice, and the article (what happens to the pending
        # charge) still answers.
        settled = [v for v in data.verdicts if v.rule_ids and set(v.rule_ids) <= _SETTLED_RULES]
        # Asked to cancel, the verdict is the whole answer; told it was canceled ("got
        # cancelled but the charge is still there"), the buyer asks something else.
        verdicts_in_play = [v for v in data.verdicts
                            if v not in settled or not _KNOWS_CANCELED.search(data.buyer_text)]
        if data.order is not None and not settled:
            facts.append(
                _order_sentence(data.order) if english
                else _order_sentence_in(data.order, w, data.language)
            )
        refused = any(not v.eligible for v in verdicts_in_play)
        by_marketplace = any(v.handled_by == "marketplace" for v in data.verdicts)
        # A late or lost parcel Amazon shipped is Amazon's to trace or replace (DOMAIN.md):
        # say so, and don't quote our own "we'll send a replacement" next to it.
        amazon_delivery = (
            _shipped_by_marketplace(data.order) and not by_marketplace
            and problem_in(data.buyer_text) == "late"
        )
        if amazon_delivery:
            facts.append(str(w["order_by_marketplace"]))
        uncovered = [
            w["uncovered"].format(question=_short_question(q)) for q in data.uncovered_questions
        ]
        # "Tell us what's wrong" follows a refused return, not an order that shipped before
        # it could be canceled (it can still be returned: the person offer closes).
        problem_refused = any(not v.eligible and v.kind != "cancel" for v in verdicts_in_play)
        closing = [
            self._closing_line(data, refused=problem_refused, by_marketplace=by_marketplace)
        ]
        opening = self.opening(data, item)
        fixed = len("\n\n".join([greeting, opening, *facts, *uncovered, *closing, sign_off]))
        verdicts = _fit_verdicts(
            data.verdicts, MAX_REPLY_CHARS - fixed - MIN_ANSWER_CHARS,
            lambda v: verdict_text(v, language=data.language, order=data.order),
        )
        fixed += sum(len(v) + 2 for v in verdicts) + 4
        budget = max(0, min(MAX_ANSWER_CHARS, MAX_REPLY_CHARS - fixed))
        foreign = _kb_text_is_foreign(data)
        if foreign:
            budget = min(budget, MAX_FOREIGN_ANSWER_CHARS)
        # When the KB text is in another language than the reply (no translation of the
        # article), order facts and verdicts (from templates, in the buyer's language) are
        # the answer; the article is cited, not quoted.
        answered_by_data = foreign and (data.order is not None or bool(verdicts))
        if refused or by_marketplace or answered_by_data or amazon_delivery:
            # The verdict is the answer: quoting the general rule next to a "no" (or our own
            # return steps next to Amazon's) would read as a contradiction. The article is
            # still cited as the verdict's source.
            used = list(data.answer_chunks[:1])
            answer = ""
        else:
            answer, used = self._answer(data.answers, budget=budget)
            if data.order is not None or data.order_id_given:
                answer = _without_asking_for_order_number(answer)
            if english and any(v.eligible and v.kind in _TIMED_KINDS for v in data.verdicts):
                answer = _without_general_timing(answer)
        kb_paragraphs = _paragraph_sources(answer, used)
        untranslated: list[str] = []
        if answer.strip() and foreign:
            untranslated = [p for p in answer.split("\n\n") if p.strip()]
            answer = f"{w['kb_intro']}\n\n{answer}"
        parts = [greeting, opening, *facts, *verdicts, answer, *uncovered, *closing, sign_off]
        citations = [
            Citation(article_id=c.article_id, revision=c.revision, title=c.title, chunk_id=c.id,
                     translation_of=c.translation_of or None)
            for c in used
        ]
        return ComposedReply(
            text="\n\n".join(p.strip() for p in parts if p.strip()), citations=citations,
            untranslated=untranslated, kb_paragraphs=kb_paragraphs,
        )

    def _handoff_text(self, data: ComposeInput, item: str) -> str:
        texts: dict[str, str] = self._wording(data)["handoff"]
        reason = next((r for r in data.handoff_reasons if r in texts), "low_confidence")
        if "marketplace_account" in data.handoff_reasons:
            reason = "marketplace_account"
        unplug = texts["safety_unplug"] if _electrical(data, item) else ""
        return texts[reason].format(
            seller_name=data.seller_name, item=item if item != "item" else "product",
            unplug=unplug,
        )

    def _closing_line(self, data: ComposeInput, *, refused: bool, by_marketplace: bool) -> str:
        w = self._wording(data)
        steps: dict[str, str] = w["next_steps"]
        if by_marketplace:
            return steps["marketplace"]
        if refused:
            return steps["not_eligible"]
        wants_order_check = data.policy_question is not None or problem_in(data.buyer_text)
        if wants_order_check and data.order is None and not data.order_id_given:
            return steps["need_order_id"]
        return str(w["person_offer"])

    @staticmethod
    def _answer(
        parts: Sequence[AnswerPart], *, budget: int
    ) -> tuple[str, list[IndexedChunk]]:
        """Quote each part's chunks (the section that answers), within a length budget."""
        pieces: list[str] = []
        used: list[IndexedChunk] = []
        share = budget // max(1, len(parts))
        for part in parts:
            room = share
            for chunk in part.chunks:
                text = _quotable(chunk, room)
                if not text or text in pieces:
                    continue
                pieces.append(text)
                used.append(chunk)
                room -= len(text)
                if room < 120:
                    break
        return "\n\n".join(pieces), used


def _paragraph_sources(answer: str, used: Sequence[IndexedChunk]) -> dict[str, IndexedChunk]:
    """Each quoted paragraph of ``answer`` and the chunk it was taken from (the first whose
    text holds its opening words; quotes are cut to whole sentences, so the opening stays)."""
    sources: dict[str, IndexedChunk] = {}
    for paragraph in (p.strip() for p in answer.split("\n\n")):
        if not paragraph or not used:
            continue
        opening = " ".join(paragraph.split("\n")[-1].split()[:6])
        sources[paragraph] = next(
            (c for c in used if opening and opening in " ".join(_plain(c.text).split())),
            used[0],
        )
    return sources


def _quotable(chunk: IndexedChunk, budget: int) -> str:
    """The chunk's paragraphs that fit ``budget`` (whole paragraphs, then whole sentences)."""
    kept: list[str] = []
    paragraphs = chunk_paragraphs(chunk)
    if paragraphs and chunk.heading and re.match(r"(- |\d+\. )", paragraphs[0]):
        # A list reads as an answer only under its heading ("Common reasons for delays:").
        paragraphs[0] = f"{chunk.heading.split(' — ')[-1]}:\n{paragraphs[0]}"
    for paragraph in paragraphs:
        if len(paragraph) + 2 <= budget:
            kept.append(paragraph)
            budget -= len(paragraph) + 2
            continue
        if not kept:
            # Whole sentences, and a list keeps its lines: "- a. - b" on one line reads badly.
            text = ""
            for line in paragraph.split("\n"):
                for number, sentence in enumerate(re.split(r"(?<=[.!?])[ \t]+", line)):
                    joined = f"{text}\n{sentence}" if text and number == 0 else \
                        f"{text} {sentence}".strip()
                    if len(joined) > budget:
                        break
                    text = joined
                else:
                    continue
                break
            if text:
                kept.append(text)
        break
    return "\n\n".join(kept)


_ASKS_FOR_ORDER_NUMBER = re.compile(
    r"(send|give|tell|share|include|reply with|message us with|let us know|with (your|the)|"
    r"need|have)\b[^.?!\n]{0,40}\border (number|id)|"
    # A list of what to include whose item is the order number ("- Your order number.").
    r"^\s*(- |\d+\. )(your |the )?order (number|id)\b[^.\n]{0,30}\.?\s*$", re.I,
)


def _without_asking_for_order_number(answer: str) -> str:
    """Drop quoted sentences and list items that ask for the order number: the buyer gave it."""
    return _without_sentences(answer, _ASKS_FOR_ORDER_NUMBER, keep_list_items=False)


# Verdicts that give this order's own return deadline and refund timing.
_TIMED_KINDS = frozenset({"return", "refund"})
# "within 30 days of delivery", "within 2 business days": the general rule's timing.
_GENERAL_TIMING = re.compile(r"\bwithin \d+ (business |working |calendar )?days?\b", re.I)


def _without_general_timing(answer: str) -> str:
    """Drop quoted prose sentences that state the general return or refund timing: the
    verdicts above give this order's own dates ("until 31 January 2027"), and "within 30
    days of delivery" next to them reads as a second, different deadline. Lists stay."""
    return _without_sentences(answer, _GENERAL_TIMING, keep_list_items=True)


def _without_sentences(answer: str, pattern: re.Pattern[str], *, keep_list_items: bool) -> str:
    """``answer`` without the prose sentences ``pattern`` finds (a list item it finds goes
    whole, or stays with ``keep_list_items``); paragraphs left empty go too."""
    paragraphs = []
    for paragraph in answer.split("\n\n"):
        lines = []
        for line in paragraph.split("\n"):
            if not pattern.search(line):
                lines.append(line)
            elif re.match(r"\s*(- |\d+\. )", line):
                if keep_list_items:
                    lines.append(line)
            elif kept := " ".join(
                s for s in re.split(r"(?<=[.!?])\s+", line) if not pattern.search(s)
            ):
                lines.append(kept)
        if any(line.strip() for line in lines):
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs).strip()


_RESOLVED = re.compile(r"\b(worked out|all good|sorted|(it |has |finally )?(arrived|came|turned up)"
                       r"|got it (now|today|yesterday))\b", re.I)


def _short_question(question: str) -> str:
    question = " ".join(question.split())
    return question if len(question) <= 90 else question[:87].rstrip() + "…"


_ELECTRICAL = re.compile(r"\b(plug|plugged|cord|cable|socket|outlet|electric\w*|spark\w*|"
                         r"shock\w*|kettle|toaster|appliance|charger|battery|heater|"
                         # de, fr, es, it
                         r"wasserkocher|stecker|kabel|steckdose|strom\w*|funken|elektr\w*|"
                         r"bouilloire|grille-pain|prise|câble|[ée]lectri\w*|étincel\w*|"
                         r"hervidor|tostadora|enchufe|el[ée]ctric\w*|chispa\w*|"
                         r"bollitore|tostapane|spina|presa|cavo|elettric\w*|scintill\w*)\b"
                         r"|ケトル|電気|コンセント|プラグ|コード|トースター|充電|火花|感電", re.I)


def _electrical(data: ComposeInput, item: str) -> bool:
    if data.order is not None and any(
        (i.category or "") in {"small_appliances", "electronics", "appliances"}
        for i in data.order.items
    ):
        return True
    return bool(_ELECTRICAL.search(data.buyer_text) or _ELECTRICAL.search(item))


def _kb_text_is_foreign(data: ComposeInput) -> bool:
    """Whether the passages the reply would quote are in another language than the reply
    (the article has no translation in the buyer's language)."""
    chunks = data.answer_chunks
    if not chunks:
        return data.language != KB_LANGUAGE
    return any(c.locale.split("-")[0].split("_")[0] != data.language for c in chunks)


def _signature_in_language(data: ComposeInput, wording: dict[str, Any]) -> str:
    """The seller's signature; the default one ("The <seller> team") in the reply's
    language. A signature the seller wrote themselves is theirs and stays as written."""
    if data.signature == f"The {data.seller_name} team" and "team_signature" in wording:
        return str(wording["team_signature"]).format(seller_name=data.seller_name)
    return data.signature
