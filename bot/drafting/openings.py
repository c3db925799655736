"""What the buyer's message says went wrong, and what to call their item — so a reply opens
with the buyer's actual problem, never with a topic a classifier guessed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.facts import OrderFacts, OrderItemFacts

# First match wins: the most specific problem first.
_PROBLEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("wrong_item", re.compile(
        r"\b(wrong (item|size|colou?r|one|product|model|thing)|not what i ordered|"
        r"(sent|got|received) (me )?(the |a )?(wrong|someone else'?s?|different)|"
        r"instead of (the|my|a))\b", re.I)),
    ("missing", re.compile(
        r"\b(missing|(is|was|were|are) not in the box|(only|just) (got|received) (one|1|two|2)|"
        r"came without|without the)\b", re.I)),
    ("damaged", re.compile(
        r"\b(damaged|broken|broke|cracked|crack|dented|dent|smashed|shattered|scratched|"
        r"chipped|bent|torn|ripped|crushed)\b", re.I)),
    ("defective", re.compile(
        r"\b(defective|faulty|stopped (working|heating|boiling|closing|charging|turning on)|"
        r"doesn'?t work|does not work|not working|won'?t (turn on|switch on|heat|boil|work|"
        r"close|lock)|leak(s|ing|ed)?|rust(ed|ing|y)?|peeling|flaking|warped|came loose|"
        r"fell apart|falling apart|came apart|snapped)\b", re.I)),
    ("late", re.compile(
        r"\b(late|hasn'?t (arrived|come|shown up)|has not arrived|not (arrived|here|received)|"
        r"never (arrived|came|got)|still (waiting|not here|nothing)|no sign of|where'?s? (is )?"
        r"my (order|parcel|package)|stuck|lost)\b", re.I)),
    ("payment", re.compile(
        r"\b(charged twice|double charged|double charge|declined|payment (failed|issue|problem)|"
        r"overcharged|charged (me )?(again|too much))\b", re.I)),
)


def problem_in(text: str) -> str | None:
    """The kind of problem the buyer describes (damaged, defective, wrong_item, …), if any."""
    for name, pattern in _PROBLEMS:
        if pattern.search(text):
            return name
    return None


# Words that finish a product's short name ("pan set", "oven mitts", "knife block").
_COMPOUND_HEADS = frozenset(
    {"set", "cover", "block", "mitts", "towels", "sheets", "lid", "board", "case", "pack"}
)


def short_item_name(title: str) -> str:
    """"Stainless steel electric kettle, 1.7 L" → "kettle"; "Ceramic non-stick pan set" →
    "pan set": what a person would call the item in a reply."""
    head = title.split(",")[0].strip()
    words: list[str] = re.findall(r"[A-Za-z'-]+", head)
    if not words:
        return "item"
    last = words[-1].lower()
    if last in _COMPOUND_HEADS and len(words) >= 2:
        return f"{words[-2].lower()} {last}"
    return last


def item_name(order: OrderFacts | None, text: str, items: Sequence[OrderItemFacts] = ()) -> str:
    """The buyer's item: one the message names, else the order's only item, else "item"."""
    lines = list(items) or (list(order.items) if order is not None else [])
    lowered = text.lower()
    named = [i for i in lines if short_item_name(i.title).split()[-1].rstrip("s") in lowered]
    if len(named) == 1:
        return short_item_name(named[0].title)
    if len(lines) == 1:
        return short_item_name(lines[0].title)
    if not lines:
        said = _NAMED_ITEM.search(lowered)
        if said is not None and said.group(1) not in _NOT_ITEMS:
            return said.group(1)
    return "item"


# Without an order, the buyer's own words name the item ("my kettle caught fire").
_NAMED_ITEM = re.compile(r"\b(?:my|the|this|our|your) ([a-z]{3,})\b")
_NOT_ITEMS = frozenset(
    {"order", "item", "package", "parcel", "box", "delivery", "refund", "money", "card",
     "account", "house", "hand", "son", "daughter", "kid", "child", "husband", "wife", "dog",
     "cat", "kitchen", "counter", "table", "way", "time", "seller", "shop", "store", "help",
     "team", "reply", "message", "answer", "info", "information", "return"}
)
