"""Selling Partner API orders as an :class:`~bot.orders.sources.OrderSource`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
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


def _mapped(
    raw: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    *,
    timezone: str,
    sku_categories: Mapping[str, str] | None,
) -> OrderUpsert | ImportFailure:
    """The order, or why it cannot be imported (never raised: one bad order is listed)."""
    order_id = str(raw.get("AmazonOrderId", ""))
    try:
        return order_from_sp_api(raw, items, timezone=timezone, sku_categories=sku_categories)
    except UnknownOrderStatus as exc:
        return ImportFailure(order_id=order_id, error=exc.message)
    except (ValidationError, ValueError, TypeError) as exc:
        return ImportFailure(order_id=order_id, error=" ".join(str(exc).split()))


def _add(batch: SourceBatch, result: OrderUpsert | ImportFailure) -> None:
    if isinstance(result, ImportFailure):
        batch.failed.append(result)
    else:
        batch.orders.append(result)
        batch.rows += 1


@dataclass
class OrdersPageBatch:
    """One ``getOrders`` page with the items of its orders, mapped."""

    batch: SourceBatch
    listed_until: datetime | None


class SellingPartnerOrderSource:
    """Orders created since ``created_after`` — or changed since ``last_updated_after`` — in
    the given marketplaces, read via the API."""

    name = "sp_api"

    def __init__(
        self,
        *,
        client: SellingPartnerOrdersClient,
        marketplace_ids: Sequence[str],
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        timezone: str = DEFAULT_ORDER_TIMEZONE,
        sku_categories: Mapping[str, str] | None = None,
    ) -> None:
        if (created_after is None) == (last_updated_after is None):
            raise ValueError("give exactly one of created_after and last_updated_after")
        self._client = client
        self._marketplace_ids = list(marketplace_ids)
        self._created_after = created_after
        self._last_updated_after = last_updated_after
        self._timezone = timezone
        self._sku_categories = sku_categories
        # What the API said it listed up to (its ``LastUpdatedBefore``), after ``read``.
        self.listed_until: datetime | None = None

    def pages(self) -> Iterator[OrdersPageBatch]:
        """Page after page of ``getOrders`` (following ``NextToken``), each with its items.
        API failures (still rate limited after the retries, HTTP errors) raise."""
        token: str | None = None
        listed_until: datetime | None = None
        while True:
            page = self._client.get_orders(
                marketplace_ids=self._marketplace_ids,
                created_after=None if token else self._created_after,
                last_updated_after=None if token else self._last_updated_after,
                next_token=token,
            )
            listed_until = listed_until or page.listed_until
            batch = SourceBatch()
            for raw in page.orders:
                items = self._client.get_order_items(str(raw.get("AmazonOrderId", "")))
                _add(
                    batch,
                    _mapped(
                        raw, items, timezone=self._timezone, sku_categories=self._sku_categories
                    ),
                )
            yield OrdersPageBatch(batch=batch, listed_until=listed_until)
            if not page.next_token:
                return
            token = page.next_token

    def read(self) -> SourceBatch:
        """Every order with its items; an order that cannot be mapped is listed, not raised.
        API failures (still rate limited after the retries, HTTP errors) do raise."""
        batch = SourceBatch()
        for page in self.pages():
            batch.orders.extend(page.batch.orders)
            batch.failed.extend(page.batch.failed)
            batch.rows += page.batch.rows
            self.listed_until = page.listed_until
        return batch


class SellingPartnerOrderById:
    """One order, read with ``getOrder`` and ``getOrderItems`` (a buyer wrote about it)."""

    name = "sp_api"

    def __init__(
        self,
        *,
        client: SellingPartnerOrdersClient,
        order_id: str,
        timezone: str = DEFAULT_ORDER_TIMEZONE,
        sku_categories: Mapping[str, str] | None = None,
    ) -> None:
        self._client = client
        self.order_id = order_id
        self._timezone = timezone
        self._sku_categories = sku_categories
        self.found: bool | None = None  # after ``read``: did the API know the order?

    def read(self) -> SourceBatch:
        """The order (empty when the API does not know it); API failures raise."""
        batch = SourceBatch()
        raw = self._client.get_order(self.order_id)
        self.found = raw is not None
        if raw is None:
            return batch
        items = self._client.get_order_items(self.order_id)
        _add(
            batch, _mapped(raw, items, timezone=self._timezone, sku_categories=self._sku_categories)
        )
        return batch
