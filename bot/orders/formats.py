"""The two order-file formats, one row at a time: which cells mean what.

Each parser reads a row's cells in column order (so problems are listed as they appear)
and returns three dicts: fields every line of an order must agree on, shipment fields that
may differ per line (partial shipments), and the order line itself.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.orders.cells import RowCells
from bot.orders.status import SHIPPED_OR_LATER, OrderStatus

RowParts = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]

DRAFTDESK_CSV_COLUMNS = (
    "order_id",
    "purchase_date",
    "status",
    "shipped_at",
    "estimated_delivery",
    "delivered_at",
    "carrier",
    "tracking_number",
    "sku",
    "title",
    "category",
    "price",
    "quantity",
    "buyer_name",
)
REPORT_REQUIRED_COLUMNS = ("amazon-order-id", "purchase-date", "order-status", "sku", "quantity")

_CHANNELS = {"amazon": "marketplace", "afn": "marketplace", "merchant": "seller", "mfn": "seller"}


def shipped_quantity(status: OrderStatus | None, quantity: int, shipped: bool | None) -> int | None:
    if status is None:
        return None
    if status is OrderStatus.PARTIALLY_SHIPPED:
        return None if shipped is None else (quantity if shipped else 0)
    return quantity if status in SHIPPED_OR_LATER else 0


def draftdesk_row(cells: RowCells) -> RowParts:
    # Cells are read in column order so that problems are listed in the order of the file.
    cells.text("order_id", required=True)
    purchase_date = cells.day("purchase_date", required=True)
    status = cells.status("status")
    shipment = {
        "shipped_at": cells.day("shipped_at"),
        "estimated_delivery": cells.day("estimated_delivery"),
        "delivered_at": cells.day("delivered_at"),
        "carrier": cells.text("carrier"),
        "tracking_number": cells.text("tracking_number"),
    }
    item: dict[str, Any] = {
        "sku": cells.text("sku", required=True),
        "title": cells.text("title", required=True),
        "category": cells.text("category"),
        "price": cells.money("price"),
        "quantity": cells.count("quantity", default=1, minimum=1),
    }
    item["quantity_shipped"] = shipped_quantity(
        status, item["quantity"] or 0, shipment["shipped_at"] is not None
    )
    order = {
        "purchase_date": purchase_date,
        "status": status,
        "buyer_name": cells.text("buyer_name"),
        "fulfillment_channel": None,
        "marketplace": None,
    }
    return order, shipment, item


def report_row(cells: RowCells) -> RowParts:
    cells.text("amazon-order-id", required=True)
    purchase_date = cells.day("purchase-date", required=True)
    status = cells.status("order-status")
    channel_text = cells.text("fulfillment-channel")
    channel = None
    if channel_text is not None:
        channel = _CHANNELS.get(channel_text.lower())
        if channel is None:
            cells.errors.append(f"fulfillment-channel {channel_text!r} is not Amazon or Merchant")
    marketplace = cells.text("sales-channel")
    sku = cells.text("sku", required=True)
    title = cells.text("product-name") or sku
    item_status = (cells.text("item-status") or "").lower()
    quantity = cells.count("quantity", default=None, minimum=0)
    currency = cells.text("currency")
    line_price = cells.money("item-price")
    unit_price = None
    if line_price is not None and quantity:
        # The report's item-price is the line total; the store keeps the unit price.
        unit_price = (line_price / quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shipped = {"shipped": True, "unshipped": False, "cancelled": False, "canceled": False}
    order = {
        "purchase_date": purchase_date,
        "status": status,
        "buyer_name": cells.text("buyer-name"),
        "fulfillment_channel": channel,
        "marketplace": marketplace,
        "currency": currency.upper() if currency else None,
    }
    # Optional columns some report variants carry (e.g. the fulfilled-shipments report).
    shipment = {
        "shipped_at": cells.day("shipment-date") or cells.day("ship-date"),
        "estimated_delivery": cells.day("estimated-arrival-date"),
        "delivered_at": cells.day("delivery-date"),
        "carrier": cells.text("carrier"),
        "tracking_number": cells.text("tracking-number"),
    }
    item = {
        "sku": sku,
        "title": title,
        "category": cells.text("category"),
        "price": unit_price,
        "quantity": quantity,
        "quantity_shipped": shipped_quantity(status, quantity or 0, shipped.get(item_status)),
    }
    return order, shipment, item
