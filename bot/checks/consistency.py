"""Consistency: a draft that contradicts itself, the buyer or the order is a wrong draft.

Each check names the sentence or figure that failed, so an agent sees what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.checks.base import Check, word_set
from bot.checks.context import CheckContext
from bot.checks.figures import extract_figures
from bot.checks.reply import Reply, lowered
from bot.facts import OrderFacts

_ORDER_ID_RE = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")
_ASKS_FOR_ORDER_NUMBER_RE = re.compile(
    r"\b(?:reply|send|give|tell|share|include|let us know|message us)\b[^.?!\n]{0,50}"
    r"\b(?:your|the) order (?:number|id)\b"
    r"|\bwhat(?:'s| is) your order (?:number|id)\b"
    r"|\bcould you (?:check|confirm) (?:the|your) order (?:number|id)\b"
)


def _asks_again(reply: Reply, context: CheckContext) -> str | None:
    """The draft asks for the order number although the buyer gave one."""
    if not any(_ORDER_ID_RE.search(text) for text in context.buyer_texts):
        return None
    for sentence, lower in zip(reply.sentences, reply.sentences_lower, strict=True):
        if _ASKS_FOR_ORDER_NUMBER_RE.search(lower) and not _ORDER_ID_RE.search(lower):
            return f'Asks for the order number the buyer already gave: "{sentence}"'
    return None


_SAFETY_ADVICE_RE = re.compile(
    r"\b(?:stop using|stop wearing|do not use|don't use|unplug|switch (?:it )?off|keep it away|"
    r"put it (?:away|aside)|do not wear|don't wear)\b"
    # de, fr, es, it, ja
    r"|nicht mehr (?:verwenden|benutzen)|netzstecker|arrêtez d'utiliser|débranchez|"
    r"dej[ae] de usar|desenchúf[ae]lo|smetta (?:subito )?di usare|scolleghi|"
    r"使用を中止|プラグ.{0,10}抜"
)


def _safety_advice(reply: Reply, context: CheckContext) -> str | None:
    """A safety hand-off must tell the buyer to stop using the product."""
    if not context.handoff or "safety" not in context.handoff_reasons:
        return None
    if _SAFETY_ADVICE_RE.search(reply.lower):
        return None
    return "A safety hand-off must tell the buyer to stop using the product (and unplug it)."


# What a deadline is for: the verb or noun near the date decides which deadline it is.
_DEADLINE_SUBJECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("return", re.compile(r"\breturn")),
    ("refund", re.compile(r"\brefund")),
    ("cancel", re.compile(r"\bcancel")),
    ("warranty", re.compile(r"\bwarrant")),
    ("delivery", re.compile(r"\b(?:arriv|deliver)")),
)


def _one_deadline(reply: Reply, context: CheckContext) -> str | None:
    """Two different dates for the same deadline ("return until 31 January" and "by 20
    December") leave the buyer guessing which one is true."""
    seen: dict[str, tuple[str, str]] = {}
    for sentence in reply.sentences:
        lower = lowered(sentence)
        dates = [f.text for f in extract_figures(sentence) if f.kind == "date"]
        if len(dates) != 1:
            continue
        subjects = [name for name, pattern in _DEADLINE_SUBJECTS if pattern.search(lower)]
        if len(subjects) != 1:
            continue
        earlier = seen.get(subjects[0])
        if earlier is not None and _normal(earlier[0]) != _normal(dates[0]):
            return (
                f'Two different {subjects[0]} dates: "{earlier[1]}" and "{sentence}". '
                "Keep the one the policy verdict gives."
            )
        seen.setdefault(subjects[0], (dates[0], sentence))
    return None


def _normal(date_text: str) -> str:
    return re.sub(r"\W+", " ", date_text.lower()).strip()


# Words that name no particular product.
_NOT_PRODUCTS = word_set(
    "order orders item items package parcel box thing things stuff purchase delivery refund "
    "return money card account address invoice receipt label tracking number one ones "
    "replacement seller shop store message email mail question problem issue time day days "
    "week weeks month price payment amazon gift present product products"
)
_NAMED_PRODUCT_RE = re.compile(r"\b(?:my|the|this|that|these|those|your)\s+([a-z][a-z-]{2,})\b")


def _item_in_order(reply: Reply, context: CheckContext) -> str | None:
    """The buyer names a product that is not in the order the draft talks about."""
    order = context.order
    if order is None or not order.items or not context.verdicts:
        return None
    said = " ".join(context.buyer_texts).lower()
    ordered = _title_words(order)
    named = {m.group(1) for m in _NAMED_PRODUCT_RE.finditer(said)} - _NOT_PRODUCTS
    if not named or named & ordered or {w.rstrip("s") for w in named} & ordered:
        return None
    if any(word in said for word in ordered if len(word) > 3):
        return None
    mentioned = sorted(named)[0]
    titles = "; ".join(item.title for item in order.items)
    return (
        f'The buyer mentions "{mentioned}", which is not in order {order.order_id} ({titles}): '
        "check the order number before stating what it allows."
    )


def _title_words(order: OrderFacts) -> set[str]:
    words: set[str] = set()
    for item in order.items:
        for word in re.findall(r"[a-z]+", item.title.lower()):
            words.add(word)
            words.add(word.rstrip("s"))
    return words


# The policy subjects an opening could name.
_OPENING_SUBJECTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("cancellation", re.compile(r"\bcancel"), re.compile(r"\bcancel")),
    ("refund", re.compile(r"\brefund"), re.compile(r"\b(?:refund|money back|reimburs)")),
    ("return", re.compile(r"\breturn"),
     re.compile(r"\b(?:return|send\w* \w* ?back|give \w+ back|take \w+ back)")),
    ("exchange", re.compile(r"\bexchang"), re.compile(r"\b(?:exchang|swap|replace)")),
    ("invoice", re.compile(r"\binvoice"), re.compile(r"\b(?:invoice|receipt|vat|bill)")),
    ("payment", re.compile(r"\bpayment"),
     re.compile(r"\b(?:pay|charg|card|paypal|amex|visa|bill)")),
    ("delivery address", re.compile(r"\baddress"), re.compile(r"\baddress")),
)


def _opening_on_topic(reply: Reply, context: CheckContext) -> str | None:
    """The first sentence after the greeting must not name a subject the buyer never raised."""
    if context.handoff or not reply.sentences:
        return None
    opening = reply.sentences_lower[0]
    said = " ".join(context.buyer_texts).lower()
    for subject, in_opening, in_message in _OPENING_SUBJECTS:
        if in_opening.search(opening) and not in_message.search(said):
            return (
                f'The opening mentions {subject}, which the buyer did not raise: '
                f'"{reply.sentences[0]}"'
            )
    return None


CONSISTENCY_CHECKS: Sequence[Check] = (
    Check(
        "consistency.no_repeat_request",
        "block",
        "Does not ask for what the buyer already gave (e.g. the order number).",
        _asks_again,
    ),
    Check(
        "consistency.safety_advice",
        "block",
        "A safety hand-off tells the buyer to stop using the product.",
        _safety_advice,
    ),
    Check(
        "consistency.one_deadline",
        "block",
        "States one date per deadline (return, refund, cancellation, warranty, delivery).",
        _one_deadline,
        applies_to_handoff=False,
    ),
    Check(
        "consistency.item_in_order",
        "warn",
        "The item the buyer names is in the order the draft talks about.",
        _item_in_order,
        applies_to_handoff=False,
    ),
    Check(
        "consistency.opening_on_topic",
        "warn",
        "The opening names only subjects the buyer raised.",
        _opening_on_topic,
        applies_to_handoff=False,
    ),
)
