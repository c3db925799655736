"""Orders: the store, its importers (order report, draftdesk CSV, Selling Partner API, demo)
and the order facts drafts may state.

The drafting pipeline needs only :func:`lookup_order_facts`.
"""

from __future__ import annotations

from bot.orders.demo import demo_orders, load_demo_orders
from bot.orders.errors import (
    OrderNotFound,
    OrdersError,
    SellingPartnerApiError,
    SellingPartnerRateLimited,
    UnknownOrderStatus,
    UnreadableOrderFile,
)
from bot.orders.files import import_orders_file, open_order_file
from bot.orders.formats import DRAFTDESK_CSV_COLUMNS
from bot.orders.repository import get_order, list_orders, lookup_order_facts, upsert_orders
from bot.orders.schemas import (
    ImportFailure,
    OrderImportReport,
    OrderItemUpsert,
    OrderPublic,
    OrderUpsert,
    UpsertResult,
)
from bot.orders.sources import OrderSource, SourceBatch, import_from_source
from bot.orders.status import OrderStatus, parse_order_status

__all__ = [
    "DRAFTDESK_CSV_COLUMNS",
    "ImportFailure",
    "OrderImportReport",
    "OrderItemUpsert",
    "OrderNotFound",
    "OrderPublic",
    "OrderSource",
    "OrderStatus",
    "OrderUpsert",
    "OrdersError",
    "SellingPartnerApiError",
    "SellingPartnerRateLimited",
    "SourceBatch",
    "UnknownOrderStatus",
    "UnreadableOrderFile",
    "UpsertResult",
    "demo_orders",
    "get_order",
    "import_from_source",
    "import_orders_file",
    "list_orders",
    "load_demo_orders",
    "lookup_order_facts",
    "open_order_file",
    "parse_order_status",
    "upsert_orders",
]
