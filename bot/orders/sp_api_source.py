"""Selling Partner API orders as an :class:`~bot.orders.sources.OrderSource`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.orders.cells import parse_day
from bot.orders.errors import UnknownOrderStatus
from bot.orders.files import DEFAULT_ORDER_TIMEZONE
from bot.orders.schemas import ImportFailure, OrderUpsert
from bot.orders.sources import SourceBatch
from bot.orders.sp_api import SellingPartnerOrdersClient
from bot.orders.status import OrderStatus, parse_order_status

_CHANNELS = {"AFN": "marketplace", "MFN": "seller"}


def _day(value: Any, *, tz: ZoneInfo) -> Any:
    return parse_day(str(value), tz=tz) if value else None


def _unit_price(item: Mapping[str, Any]) -> Decimal | None:
    money = item.get("ItemPrice") or {}
    quantity = int(item.get("QuantityOrdered") or 0)
    if not money.get("Amount") or quantity <= 0:
        return None
    try:
        # ItemPrice is the price of the whole line (unit price × quantity).
        total = Decimal(str(money["Amount"]))
    except InvalidOperation:
        return None
    return (total / quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def order_from_sp_api(
    order: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    *,
    timezone: str = DEFAULT_ORDER_TIMEZONE,
    sku_categories: Mapping[str, str] | None = None,
) -> OrderUpsert:
    """Map a ``getOrder`` object and its ``getOrderItems`` to an :class:`OrderUpsert`.

    The Orders API has no product categories; ``sku_categories`` (the seller's catalogue)
    fills them in so category return rules apply. Raises ``ValidationError`` or
    ``UnknownOrderStatus`` for an order that cannot be mapped.
    """
    tz = ZoneInfo(timezone)
    status = parse_order_status(str(order.get("OrderStatus", "")))
    categories = sku_categories or {}
    buyer = order.get("BuyerInfo") or {}
    total = order.get("OrderTotal") or {}
    delivered = status is OrderStatus.DELIVERED
    return OrderUpsert(
        order_id=str(order.get("AmazonOrderId", "")),
        purchase_date=_day(order.get("PurchaseDate"), tz=tz),
        status=status,
        # v0 gives a delivery window, not the actual day: the latest promised day is the
        # honest estimate to state.
        estimated_delivery=None if delivered else _day(order.get("LatestDeliveryDate"), tz=tz),
        fulfillment_channel=_CHANNELS.get(str(order.get("FulfillmentChannel", "")).upper()),
        marketplace=order.get("SalesChannel") or order.get("MarketplaceId"),
        buyer_name=buyer.get("BuyerName"),
        currency=total.get("CurrencyCode"),
        items=[
            {
                "sku": item.get("SellerSKU") or item.get("ASIN") or "",
                "title": item.get("Title") or item.get("SellerSKU") or "",
                "category": categories.get(str(item.get("SellerSKU"))),
                "price": _unit_price(item),
                "quantity": int(item.get("QuantityOrdered") or 0),
                "quantity_shipped": (
                    None if item.get("QuantityShipped") is None else int(item["QuantityShipped"])
                ),
            }
            for item in items
        ],
    )


class SellingPartnerOrderSource:
    """Orders created since ``created_after`` in the given marketplaces, read via the API."""

    name = "sp_api"

    def __init__(
        self,
        *,
        client: SellingPartnerOrdersClient,
        marketplace_ids: Sequence[str],
        created_after: datetime,
        timezone: str = DEFAULT_ORDER_TIMEZONE,
        sku_categories: Mapping[str, str] | None = None,
    ) -> None:
        self._client = client
        self._marketplace_ids = list(marketplace_ids)
        self._created_after = created_after
        self._timezone = timezone
        self._sku_categories = sku_categories

    def read(self) -> SourceBatch:
        """Every order with its items; an order that cannot be mapped is listed, not raised.
        API failures (still rate limited after the retries, HTTP errors) do raise."""
        batch = SourceBatch()
        for raw in self._client.iter_orders(
            marketplace_ids=self._marketplace_ids, created_after=self._created_after
        ):
            order_id = str(raw.get("AmazonOrderId", ""))
            items = self._client.get_order_items(order_id)
            try:
                order = order_from_sp_api(
                    raw, items, timezone=self._timezone, sku_categories=self._sku_categories
                )
            except UnknownOrderStatus as exc:
                batch.failed.append(ImportFailure(order_id=order_id, error=exc.message))
                continue
            except (ValidationError, ValueError, TypeError) as exc:
                batch.failed.append(ImportFailure(order_id=order_id, error=str(exc)))
                continue
            batch.orders.append(order)
            batch.rows += 1
        return batch
