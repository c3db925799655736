"""Small helpers that turn facts into plain English for verdict sentences."""

from __future__ import annotations

import re

from bot.facts import OrderItemFacts


def item_name(item: OrderItemFacts | None) -> str:
    """A short name for an order line: ``Stainless steel electric kettle, 1.7 L`` →
    ``stainless steel electric kettle`` (sentence-case titles lose their capital, Title Case
    ones such as brand names keep it)."""
    if item is None:
        return "order"
    name = re.split(r",| \(| - | – | \| ", item.title, maxsplit=1)[0].strip() or item.title
    words = name.split()
    first_is_plain = bool(re.fullmatch(r"[A-Z][a-z']+", words[0])) if words else False
    rest_lower = len(words) == 1 or words[1][:1].islower()
    if first_is_plain and rest_lower:
        name = name[0].lower() + name[1:]
    return name


def your_item(item: OrderItemFacts | None, order_id: str) -> str:
    """``your kettle from order 112-…`` (or ``order 112-…`` when no item is in question)."""
    if item is None:
        return f"order {order_id}"
    return f"your {item_name(item)} from order {order_id}"


def capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def duration(months: int) -> str:
    """``24`` → ``2-year``, ``18`` → ``18-month`` (as in "our 2-year warranty")."""
    if months % 12 == 0:
        return f"{months // 12}-year"
    return f"{months}-month"


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
