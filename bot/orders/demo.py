"""Demo orders for the demo seller, Brightwater Home, dated relative to today.

Relative dates keep the demo true on any day: the kettle of ``112-3456789-1234567`` was
always delivered 10 days ago (inside the 30-day return window) and the kettle of
``112-7654321-7654321`` 45 days ago (outside it).

Besides the Amazon.com orders, German buyers ordered on Amazon.de (euros, DHL) and Japanese
buyers on Amazon.co.jp (yen, Yamato Transport and Japan Post), so order status and return
verdicts can be shown in German and Japanese (issue 13). Each marketplace has one order in
transit, one delivered inside the return window and one delivered after it closed. The
order store keeps the marketplace as its sales-channel name (``Amazon.de``), as the Selling
Partner API's ``SalesChannel`` reports it; there is no separate marketplace-id column
(:data:`MARKETPLACE_IDS` lists the ids). Order data holds no delivery address, so a draft
can never show one.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.orders.schemas import OrderImportReport, OrderItemUpsert, OrderUpsert
from bot.orders.sources import SourceBatch, import_from_source
from bot.orders.status import OrderStatus

DELIVERED_10_DAYS_AGO = "112-3456789-1234567"
DELIVERED_45_DAYS_AGO = "112-7654321-7654321"
SHIPPED_IN_TRANSIT = "112-2233445-5566778"
UNSHIPPED = "112-3344556-6677889"
PENDING = "112-4455667-7788990"
CANCELED = "112-5566778-8899001"
HOLIDAY_SEASON = "112-6677889-9900112"
PARTIALLY_SHIPPED = "112-7788990-0011223"
MARKETPLACE_FULFILLED = "112-8899001-1122334"
PERSONALISED = "112-9900112-2233445"
NO_DELIVERY_DATE = "112-1122334-4455667"

# Amazon.de (EUR, DHL): Amazon's European order ids start 302-, 303-, 305- …
DE_SHIPPED_IN_TRANSIT = "302-1538274-6620341"
DE_DELIVERED_7_DAYS_AGO = "302-4471903-2285516"
DE_DELIVERED_50_DAYS_AGO = "305-8816420-9937105"
# Amazon.co.jp (JPY, Yamato Transport / Japan Post): Japanese order ids start 249-, 250-, 503-.
JP_SHIPPED_IN_TRANSIT = "249-3902716-5584233"
JP_DELIVERED_6_DAYS_AGO = "250-6617042-1180946"
JP_DELIVERED_40_DAYS_AGO = "503-2748815-3319062"

# What the demo page suggests trying, per widget language: an order of that marketplace
# (the .com orders for languages without one) and the family name that verifies it.
DEMO_PAGE_ORDER = {
    "de": (DE_SHIPPED_IN_TRANSIT, "Hoffmann"),
    "ja": (JP_SHIPPED_IN_TRANSIT, "佐藤"),
}
DEMO_PAGE_DEFAULT_ORDER = (SHIPPED_IN_TRANSIT, "Natarajan")

# The Selling Partner API's marketplace ids of the demo's marketplaces.
MARKETPLACE_IDS = {
    "Amazon.com": "ATVPDKIKX0DER",
    "Amazon.de": "A1PA6795UKMFR9",
    "Amazon.co.jp": "A1VC38T7YXB528",
}

_KETTLE = {
    "sku": "BW-KET-17",
    "title": "Stainless steel electric kettle, 1.7 L",
    "category": "small_appliances",
    "price": Decimal("49.99"),
}


def _item(sku: str, title: str, category: str, price: str, **extra: Any) -> OrderItemUpsert:
    return OrderItemUpsert(sku=sku, title=title, category=category, price=Decimal(price), **extra)


def _bought_outside_holiday_season(purchase: date, today: date) -> date:
    # The holiday window (bought 1 Nov–31 Dec, returnable until 31 Jan) would make the
    # "45 days ago" kettle returnable again from late December to January; on those days
    # the demo says it was bought on 31 October (a back-ordered kettle) instead.
    if purchase.month in (11, 12) and today <= date(purchase.year + 1, 1, 31):
        return date(purchase.year, 10, 31)
    return purchase


def _last_holiday_purchase(today: date) -> date:
    candidate = date(today.year, 12, 5)
    while candidate > today - timedelta(days=6):
        candidate = date(candidate.year - 1, 12, 5)
    return candidate


def demo_orders(today: date) -> list[OrderUpsert]:
    """The Amazon.com orders covering every case drafts must handle, then the Amazon.de and
    Amazon.co.jp ones, dated relative to ``today``."""
    return [*_us_orders(today), *_german_orders(today), *_japanese_orders(today)]


def _us_orders(today: date) -> list[OrderUpsert]:
    """Amazon.com: about ten orders covering every case drafts must handle."""

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    holiday = _last_holiday_purchase(today)
    common: dict[str, Any] = {"marketplace": "Amazon.com", "currency": "USD"}
    return [
        OrderUpsert(
            order_id=DELIVERED_10_DAYS_AGO,
            purchase_date=day(16),
            status=OrderStatus.DELIVERED,
            shipped_at=day(14),
            estimated_delivery=day(10),
            delivered_at=day(10),
            carrier="UPS",
            tracking_number="1Z999AA10123456784",
            fulfillment_channel="seller",
            buyer_name="Maria Lopez",
            items=[OrderItemUpsert(**_KETTLE, quantity_shipped=1)],
            **common,
        ),
        OrderUpsert(
            order_id=DELIVERED_45_DAYS_AGO,
            purchase_date=_bought_outside_holiday_season(day(52), today),
            status=OrderStatus.DELIVERED,
            shipped_at=day(49),
            estimated_delivery=day(46),
            delivered_at=day(45),
            carrier="USPS",
            tracking_number="9400111899562537845123",
            fulfillment_channel="seller",
            buyer_name="James Carter",
            items=[OrderItemUpsert(**_KETTLE, quantity_shipped=1)],
            **common,
        ),
        OrderUpsert(
            order_id=SHIPPED_IN_TRANSIT,
            purchase_date=day(3),
            status=OrderStatus.SHIPPED,
            shipped_at=day(2),
            estimated_delivery=today + timedelta(days=2),
            carrier="UPS",
            tracking_number="1Z999AA10987654321",
            fulfillment_channel="seller",
            buyer_name="Priya Natarajan",
            items=[
                _item(
                    "BW-SKL-26", "Cast iron skillet, 26 cm", "cookware", "39.95", quantity_shipped=1
                )
            ],
            **common,
        ),
        OrderUpsert(
            order_id=UNSHIPPED,
            purchase_date=day(1),
            status=OrderStatus.UNSHIPPED,
            estimated_delivery=today + timedelta(days=4),
            fulfillment_channel="seller",
            buyer_name="Tom Becker",
            items=[
                _item("BW-KNF-20", "Chef's knife, 20 cm", "knives", "64.00", quantity_shipped=0)
            ],
            **common,
        ),
        OrderUpsert(
            order_id=PENDING,
            purchase_date=today,
            status=OrderStatus.PENDING,
            fulfillment_channel="seller",
            buyer_name="Aiko Tanaka",
            items=[
                _item(
                    "BW-DUV-D", "Linen duvet cover, double", "bedding", "89.00", quantity_shipped=0
                )
            ],
            **common,
        ),
        OrderUpsert(
            order_id=CANCELED,
            purchase_date=day(8),
            status=OrderStatus.CANCELED,
            fulfillment_channel="seller",
            buyer_name="Lucas Moreau",
            items=[
                _item(
                    "BW-TWL-4",
                    "Cotton bath towels, set of 4",
                    "bath",
                    "34.50",
                    quantity=2,
                    quantity_shipped=0,
                )
            ],
            **common,
        ),
        OrderUpsert(
            order_id=HOLIDAY_SEASON,
            purchase_date=holiday,
            status=OrderStatus.DELIVERED,
            shipped_at=holiday + timedelta(days=1),
            estimated_delivery=holiday + timedelta(days=4),
            delivered_at=holiday + timedelta(days=4),
            carrier="FedEx",
            tracking_number="772845698123",
            fulfillment_channel="seller",
            buyer_name="Sofia Rossi",
            items=[
                _item(
                    "BW-PAN-3",
                    "Ceramic non-stick pan set, 3 pieces",
                    "cookware",
                    "79.99",
                    quantity_shipped=1,
                )
            ],
            **common,
        ),
        OrderUpsert(
            order_id=PARTIALLY_SHIPPED,
            purchase_date=day(4),
            status=OrderStatus.PARTIALLY_SHIPPED,
            shipped_at=day(2),
            estimated_delivery=today + timedelta(days=3),
            carrier="USPS",
            tracking_number="9400111899223856123456",
            fulfillment_channel="seller",
            buyer_name="Daniel Kim",
            items=[
                _item(
                    "BW-CAS-4", "Cast iron casserole, 4 L", "cookware", "119.00", quantity_shipped=1
                ),
                _item(
                    "BW-MIT-2",
                    "Quilted oven mitts, pair",
                    "kitchen_textiles",
                    "14.99",
                    quantity=2,
                    quantity_shipped=2,
                ),
                _item(
                    "BW-BLK-6",
                    "Oak knife block, 6 slots",
                    "kitchen_storage",
                    "45.00",
                    quantity_shipped=0,
                ),
            ],
            **common,
        ),
        OrderUpsert(
            order_id=MARKETPLACE_FULFILLED,
            purchase_date=day(9),
            status=OrderStatus.DELIVERED,
            shipped_at=day(8),
            estimated_delivery=day(5),
            delivered_at=day(5),
            carrier="Amazon Logistics",
            tracking_number="TBA304958712000",
            fulfillment_channel="marketplace",
            buyer_name="Grace Okafor",
            items=[
                _item("BW-SHT-K", "Percale sheet set, king", "bedding", "99.00", quantity_shipped=1)
            ],
            **common,
        ),
        OrderUpsert(
            order_id=PERSONALISED,
            purchase_date=day(14),
            status=OrderStatus.DELIVERED,
            shipped_at=day(10),
            estimated_delivery=day(7),
            delivered_at=day(7),
            carrier="UPS",
            tracking_number="1Z999AA10555555555",
            fulfillment_channel="seller",
            buyer_name="Henry Walsh",
            items=[
                _item(
                    "BW-BRD-ENG",
                    "Engraved oak chopping board",
                    "personalised",
                    "42.00",
                    quantity_shipped=1,
                )
            ],
            **common,
        ),
        OrderUpsert(
            order_id=NO_DELIVERY_DATE,
            purchase_date=day(9),
            status=OrderStatus.SHIPPED,
            shipped_at=day(7),
            estimated_delivery=day(2),
            carrier="USPS",
            tracking_number="9400111899223856654321",
            fulfillment_channel="seller",
            buyer_name="Olivia Brown",
            items=[
                _item(
                    "BW-JAR-3",
                    "Glass storage jars, set of 3",
                    "kitchen_storage",
                    "24.99",
                    quantity_shipped=1,
                )
            ],
            **common,
        ),
    ]


def _german_orders(today: date) -> list[OrderUpsert]:
    """Amazon.de: German titles, prices in euros, DHL Paket's 20-digit tracking numbers."""

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    common: dict[str, Any] = {
        "marketplace": "Amazon.de",
        "currency": "EUR",
        "carrier": "DHL",
        "fulfillment_channel": "seller",
    }
    return [
        OrderUpsert(
            order_id=DE_SHIPPED_IN_TRANSIT,
            purchase_date=day(3),
            status=OrderStatus.SHIPPED,
            shipped_at=day(2),
            estimated_delivery=today + timedelta(days=2),
            tracking_number="00340434161094042557",
            buyer_name="Lena Hoffmann",
            items=[
                _item(
                    "BW-SKL-26", "Gusseisenpfanne, 26 cm", "cookware", "39.95", quantity_shipped=1
                )
            ],
            **common,
        ),
        OrderUpsert(
            order_id=DE_DELIVERED_7_DAYS_AGO,
            purchase_date=day(11),
            status=OrderStatus.DELIVERED,
            shipped_at=day(9),
            estimated_delivery=day(7),
            delivered_at=day(7),
            tracking_number="00340434161094078832",
            buyer_name="Jonas Schneider",
            items=[
                _item(
                    "BW-KET-17",
                    "Wasserkocher aus Edelstahl, 1,7 l",
                    "small_appliances",
                    "49.99",
                    quantity_shipped=1,
                )
            ],
            **common,
        ),
        OrderUpsert(
            order_id=DE_DELIVERED_50_DAYS_AGO,
            purchase_date=_bought_outside_holiday_season(day(56), today),
            status=OrderStatus.DELIVERED,
            shipped_at=day(53),
            estimated_delivery=day(51),
            delivered_at=day(50),
            tracking_number="00340434161093817260",
            buyer_name="Sabine Krüger",
            items=[
                _item(
                    "BW-PAN-3",
                    "Keramik-Pfannenset, 3-teilig, antihaftbeschichtet",
                    "cookware",
                    "79.99",
                    quantity_shipped=1,
                )
            ],
            **common,
        ),
    ]


def _japanese_orders(today: date) -> list[OrderUpsert]:
    """Amazon.co.jp: Japanese titles, whole-yen prices, Yamato's and Japan Post's 12-digit
    tracking numbers; names as Japanese buyers write them, family name first."""

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    common: dict[str, Any] = {
        "marketplace": "Amazon.co.jp",
        "currency": "JPY",
        "fulfillment_channel": "seller",
    }
    kettle = _item(
        "BW-KET-17", "ステンレス電気ケトル 1.7L", "small_appliances", "6980", quantity_shipped=1
    )
    return [
        OrderUpsert(
            order_id=JP_SHIPPED_IN_TRANSIT,
            purchase_date=day(2),
            status=OrderStatus.SHIPPED,
            shipped_at=day(1),
            estimated_delivery=today + timedelta(days=1),
            carrier="ヤマト運輸",
            tracking_number="438812749025",
            buyer_name="佐藤 健太",
            items=[kettle],
            **common,
        ),
        OrderUpsert(
            order_id=JP_DELIVERED_6_DAYS_AGO,
            purchase_date=day(9),
            status=OrderStatus.DELIVERED,
            shipped_at=day(8),
            estimated_delivery=day(6),
            delivered_at=day(6),
            carrier="日本郵便",
            tracking_number="118634075526",
            buyer_name="鈴木 美咲",
            items=[
                _item("BW-SKL-26", "鋳鉄スキレット 26cm", "cookware", "4980", quantity_shipped=1)
            ],
            **common,
        ),
        OrderUpsert(
            order_id=JP_DELIVERED_40_DAYS_AGO,
            purchase_date=_bought_outside_holiday_season(day(44), today),
            status=OrderStatus.DELIVERED,
            shipped_at=day(43),
            estimated_delivery=day(41),
            delivered_at=day(40),
            carrier="ヤマト運輸",
            tracking_number="438812063318",
            buyer_name="高橋 直樹",
            items=[kettle],
            **common,
        ),
    ]


class DemoOrderSource:
    """The demo orders as an :class:`~bot.orders.sources.OrderSource`."""

    name = "demo"

    def __init__(self, *, today: date) -> None:
        self._today = today

    def read(self) -> SourceBatch:
        orders = demo_orders(self._today)
        return SourceBatch(orders=orders, rows=sum(len(order.items) for order in orders))


def load_demo_orders(session: Session, *, today: date) -> OrderImportReport:
    """Upsert the demo orders in the caller's transaction (running it twice on the same day
    changes nothing; on a later day the dates move with it)."""
    return import_from_source(session, source=DemoOrderSource(today=today))
