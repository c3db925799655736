"""One internal, lower-case order status for every spelling the marketplace uses.

Orders API v0 says ``PartiallyShipped`` and ``Canceled``; the newer Orders API says
``PARTIALLY_SHIPPED`` and ``CANCELLED``; the flat-file order report says ``Cancelled`` and
``Shipped - Delivered to Buyer``. Drafts and the policy engine only ever see the values of
:class:`OrderStatus`.
"""

from __future__ import annotations

import re
from enum import StrEnum

from bot.orders.errors import UnknownOrderStatus


class OrderStatus(StrEnum):
    """Where an order is in its life; the value is what the database and drafts carry."""

    PENDING = "pending"
    PENDING_AVAILABILITY = "pending_availability"
    UNSHIPPED = "unshipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICE_UNCONFIRMED = "invoice_unconfirmed"
    DELIVERED = "delivered"
    CANCELED = "canceled"
    UNFULFILLABLE = "unfulfillable"


# Keys are spellings with case, spaces, dashes and underscores removed, so that
# "PartiallyShipped", "PARTIALLY_SHIPPED" and "partially shipped" meet in one entry.
_SPELLINGS: dict[str, OrderStatus] = {
    "pending": OrderStatus.PENDING,
    "pendingavailability": OrderStatus.PENDING_AVAILABILITY,
    "unshipped": OrderStatus.UNSHIPPED,
    "partiallyshipped": OrderStatus.PARTIALLY_SHIPPED,
    "shipped": OrderStatus.SHIPPED,
    # The flat-file report uses "Shipping" while the marketplace is still packing a
    # marketplace-fulfilled order; it can no longer be cancelled, so it counts as shipped.
    "shipping": OrderStatus.SHIPPED,
    "invoiceunconfirmed": OrderStatus.INVOICE_UNCONFIRMED,
    "delivered": OrderStatus.DELIVERED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "unfulfillable": OrderStatus.UNFULFILLABLE,
}

# Statuses in which nothing has left the warehouse yet (the order can still be cancelled).
NOT_YET_SHIPPED = frozenset(
    {OrderStatus.PENDING, OrderStatus.PENDING_AVAILABILITY, OrderStatus.UNSHIPPED}
)
# Statuses in which at least part of the order is on its way or has arrived.
SHIPPED_OR_LATER = frozenset(
    {
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.INVOICE_UNCONFIRMED,
        OrderStatus.DELIVERED,
    }
)


def _key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def parse_order_status(raw: str) -> OrderStatus:
    """Map any marketplace spelling (``Canceled``, ``CANCELLED``, ``Shipped - Delivered to
    Buyer`` …) to an :class:`OrderStatus`; raise :class:`UnknownOrderStatus` otherwise."""
    text = raw.strip()
    key = _key(text)
    if key in _SPELLINGS:
        return _SPELLINGS[key]
    # Flat-file reports qualify shipped orders: "Shipped - Delivered to Buyer",
    # "Shipped - Out for Delivery", "Shipped - Returned to Seller", ...
    qualified = re.fullmatch(r"shipped\s+-\s+(.+)", text, flags=re.IGNORECASE)
    if qualified:
        return OrderStatus.DELIVERED if "delivered" in _key(qualified[1]) else OrderStatus.SHIPPED
    raise UnknownOrderStatus(f"unknown order status {text!r}")
