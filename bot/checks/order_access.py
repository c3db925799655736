"""Order facts only for the order's buyer (issue 15, finding 4); no postal address, ever.

A draft may name an order, or state its tracking number, carrier or dates, only when the
conversation is bound to that order (``CheckContext.bound_order_ids``, stored with the
draft): the buyer repeating someone else's order id does not make it theirs. Drafts stored
before bindings existed (``bound_order_ids`` is None) are left to ``privacy.no_foreign_order_id``.
"""

from __future__ import annotations

import re
from datetime import date

from bot.checks.base import Check, first_items
from bot.checks.context import CheckContext
from bot.checks.patterns import find_addresses, find_order_ids, normalised_alnum
from bot.checks.reply import Reply
from bot.facts import OrderFacts
from bot.policy.wording import format_day_for

_REPLY_LANGUAGES = ("de", "fr", "es", "it", "ja")
# Parcel tracking numbers: letters and digits with at least 8 digits ("1Z999AA10123456784",
# "JD014600006281234567"), or 16+ digits alone (USPS). Spaced or dashed numbers (phones) do
# not match.
_TRACKING_RE = re.compile(r"(?<![\w+-])(?=[A-Z0-9]*(?:\d[A-Z0-9]*){8})[A-Z0-9]{10,35}(?![\w-])")
_LETTER_RE = re.compile(r"[A-Z]")


def _order_days(order: OrderFacts) -> list[date]:
    days = [order.purchase_date, order.shipped_at, order.estimated_delivery, order.delivered_at]
    return [d for d in days if d is not None]


def _written_days(day: date) -> list[str]:
    """The ways a reply may write ``day`` (English, ISO, and the other reply languages)."""
    written = [
        day.isoformat(), f"{day.day} {day:%B}", f"{day:%B} {day.day}", f"{day:%b} {day.day}",
        f"{day.day} {day:%b}",
    ]
    written += [format_day_for(day, language) for language in _REPLY_LANGUAGES]
    return written


def _unbound_order_facts(reply: Reply, order: OrderFacts) -> list[str]:
    """What ``reply`` states of ``order``: its id, tracking number, carrier or dates."""
    found: list[str] = []
    lower = reply.lower
    if order.order_id in reply.text:
        found.append(order.order_id)
    if order.tracking_number and normalised_alnum(order.tracking_number) in normalised_alnum(
        reply.text
    ):
        found.append(order.tracking_number)
    if order.carrier and re.search(rf"\b{re.escape(order.carrier.lower())}\b", lower):
        found.append(order.carrier)
    for day in _order_days(order):
        found += [w for w in _written_days(day) if w.lower() in lower]
    return found


def _tracking_numbers(text: str) -> list[str]:
    return [
        token for token in _TRACKING_RE.findall(text)
        if _LETTER_RE.search(token) or len(token) >= 16
    ]


def _bound_orders_only(reply: Reply, context: CheckContext) -> str | None:
    if context.bound_order_ids is None:
        return None
    bound = set(context.bound_order_ids)
    leaked = [order_id for order_id in find_order_ids(reply.text) if order_id not in bound]
    order = context.order
    if order is not None and order.order_id not in bound:
        leaked += _unbound_order_facts(reply, order)
    bound_tracking = (
        normalised_alnum(order.tracking_number)
        if order is not None and order.order_id in bound and order.tracking_number else None
    )
    known = normalised_alnum(" ".join([*context.buyer_texts, *context.cited_texts]))
    leaked += [
        number for number in _tracking_numbers(reply.text)
        if normalised_alnum(number) != bound_tracking and normalised_alnum(number) not in known
    ]
    if not leaked:
        return None
    return (
        "Remove facts of orders this conversation is not bound to (the buyer has not verified "
        "them and no agent bound them): "
        f"{first_items(leaked)}. Ask the buyer to verify the order, or bind it if you checked it."
    )


def _no_address(reply: Reply, context: CheckContext) -> str | None:
    # The seller's own published address (a cited article) may be given for returns.
    published = normalised_alnum(" ".join(context.cited_texts))
    addresses = [a for a in find_addresses(reply.text) if normalised_alnum(a) not in published]
    if not addresses:
        return None
    return (
        "Remove postal addresses: a reply never states a buyer's or anyone's address "
        f"({first_items(addresses)})."
    )


ORDER_ACCESS_CHECKS = (
    Check(
        "privacy.bound_orders_only",
        "block",
        "Order ids, tracking numbers, carriers and dates only of orders bound to this "
        "conversation.",
        _bound_orders_only,
    ),
    Check(
        "privacy.no_address",
        "block",
        "No postal address (only the seller's own, from a cited article).",
        _no_address,
    ),
)
