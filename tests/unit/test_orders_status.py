"""Every marketplace spelling of an order status maps to one internal status."""

from __future__ import annotations

import pytest

from bot.orders import OrderStatus, UnknownOrderStatus, parse_order_status

V0 = {
    "Pending": OrderStatus.PENDING,
    "Unshipped": OrderStatus.UNSHIPPED,
    "PartiallyShipped": OrderStatus.PARTIALLY_SHIPPED,
    "Shipped": OrderStatus.SHIPPED,
    "Canceled": OrderStatus.CANCELED,
    "Unfulfillable": OrderStatus.UNFULFILLABLE,
    "InvoiceUnconfirmed": OrderStatus.INVOICE_UNCONFIRMED,
    "PendingAvailability": OrderStatus.PENDING_AVAILABILITY,
}
NEW_API = {
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELED,
    "UNFULFILLABLE": OrderStatus.UNFULFILLABLE,
    "INVOICE_UNCONFIRMED": OrderStatus.INVOICE_UNCONFIRMED,
    "PENDING_AVAILABILITY": OrderStatus.PENDING_AVAILABILITY,
    "DELIVERED": OrderStatus.DELIVERED,
}
ORDER_REPORT = {
    "Cancelled": OrderStatus.CANCELED,
    "Shipping": OrderStatus.SHIPPED,
    "Shipped - Delivered to Buyer": OrderStatus.DELIVERED,
    "Shipped - Out for Delivery": OrderStatus.SHIPPED,
    "Shipped - Returned to Seller": OrderStatus.SHIPPED,
    "Shipped - Picked Up": OrderStatus.SHIPPED,
}
OWN_CSV = {status.value: status for status in OrderStatus} | {
    " partially shipped ": OrderStatus.PARTIALLY_SHIPPED
}


@pytest.mark.parametrize(
    ("raw", "status"), [*V0.items(), *NEW_API.items(), *ORDER_REPORT.items(), *OWN_CSV.items()]
)
def test_status_spellings(raw: str, status: OrderStatus) -> None:
    assert parse_order_status(raw) is status


def test_both_api_generations_cover_every_v0_status() -> None:
    assert set(V0.values()) <= set(NEW_API.values())
    assert set(OrderStatus) == set(V0.values()) | {OrderStatus.DELIVERED}


@pytest.mark.parametrize("raw", ["", "Lost", "Returned", "Shipped-ish?", "Shipped: lost"])
def test_unknown_status(raw: str) -> None:
    with pytest.raises(UnknownOrderStatus) as caught:
        parse_order_status(raw)
    assert caught.value.code == "unknown_order_status"
