"""The Selling Partner API adapter against a real local HTTP server (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.orders import (
    OrderStatus,
    SellingPartnerApiError,
    SellingPartnerRateLimited,
    get_order,
    import_from_source,
)
from bot.orders.sp_api import SellingPartnerOrdersClient
from bot.orders.sp_api_source import SellingPartnerOrderSource
from knowledge_base.db import make_engine, make_session_factory, transaction
from tests.fakes import FakeClock, FakeSellingPartnerApi

ORDERS: list[dict[str, Any]] = [
    {
        "AmazonOrderId": "112-5000001-0000001",
        "PurchaseDate": "2026-11-01T06:30:00Z",
        "OrderStatus": "Shipped",
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.com",
        "LatestDeliveryDate": "2026-11-06T07:59:59Z",
        "OrderTotal": {"CurrencyCode": "USD", "Amount": "99.98"},
        "BuyerInfo": {"BuyerName": "Maria Lopez"},
    },
    {
        "AmazonOrderId": "112-5000002-0000002",
        "PurchaseDate": "2026-11-02T10:00:00Z",
        "OrderStatus": "CANCELLED",
        "FulfillmentChannel": "AFN",
        "SalesChannel": "Amazon.com",
    },
    {
        "AmazonOrderId": "112-5000003-0000003",
        "PurchaseDate": "2026-11-03T10:00:00Z",
        "OrderStatus": "PartiallyShipped",
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.com",
    },
    {
        "AmazonOrderId": "112-5000004-0000004",
        "PurchaseDate": "2026-11-04T10:00:00Z",
        "OrderStatus": "Teleported",
        "FulfillmentChannel": "MFN",
    },
]
ITEMS: dict[str, list[dict[str, Any]]] = {
    "112-5000001-0000001": [
        {
            "SellerSKU": "BW-KET-17",
            "Title": "Stainless steel electric kettle, 1.7 L",
            "QuantityOrdered": 2,
            "QuantityShipped": 2,
            "ItemPrice": {"CurrencyCode": "USD", "Amount": "99.98"},
        },
    ],
    "112-5000002-0000002": [
        {"SellerSKU": "BW-TWL-4", "Title": "Towels", "QuantityOrdered": 1, "QuantityShipped": 0},
    ],
    "112-5000003-0000003": [
        {
            "SellerSKU": f"SKU-{n}",
            "Title": f"Item {n}",
            "QuantityOrdered": 1,
            "QuantityShipped": 1 if n < 2 else 0,
            "ItemPrice": {"CurrencyCode": "USD", "Amount": "10.00"},
        }
        for n in range(3)
    ],
    "112-5000004-0000004": [{"SellerSKU": "X", "Title": "X", "QuantityOrdered": 1}],
}


@pytest.fixture
def api() -> Iterator[FakeSellingPartnerApi]:
    server = FakeSellingPartnerApi(orders=ORDERS, items=ITEMS, page_size=2)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(api: FakeSellingPartnerApi, clock: FakeClock) -> Iterator[SellingPartnerOrdersClient]:
    with SellingPartnerOrdersClient(
        base_url=api.url, access_token=FakeSellingPartnerApi.TOKEN, clock=clock, max_attempts=4
    ) as client:
        yield client


def test_orders_and_items_follow_next_token(
    api: FakeSellingPartnerApi, client: SellingPartnerOrdersClient
) -> None:
    orders = list(
        client.iter_orders(
            marketplace_ids=["ATVPDKIKX0DER"], created_after=datetime(2026, 11, 1, tzinfo=UTC)
        )
    )
    assert [o["AmazonOrderId"] for o in orders] == [o["AmazonOrderId"] for o in ORDERS]
    assert len(client.get_order_items("112-5000003-0000003")) == 3
    first = api.requests[0]
    assert first[0] == "getOrders" and first[3] == FakeSellingPartnerApi.TOKEN
    assert first[2] == {
        "MarketplaceIds": "ATVPDKIKX0DER",
        "CreatedAfter": "2026-11-01T00:00:00+00:00",
    }
    assert api.requests[1][2] == {"MarketplaceIds": "ATVPDKIKX0DER", "NextToken": "2"}
    assert [r[0] for r in api.requests[-2:]] == ["getOrderItems", "getOrderItems"]


def test_get_order_and_unknown_ids(client: SellingPartnerOrdersClient) -> None:
    order = client.get_order("112-5000001-0000001")
    assert order is not None and order["OrderStatus"] == "Shipped"
    assert client.get_order("112-0000000-0000000") is None


def test_429_is_retried_after_the_retry_after_header(
    api: FakeSellingPartnerApi, client: SellingPartnerOrdersClient, clock: FakeClock
) -> None:
    api.fail_next("getOrder", status=429, retry_after="3", times=2)
    assert client.get_order("112-5000001-0000001") is not None
    assert clock.sleeps == [3.0, 3.0]
    assert [r[0] for r in api.requests] == ["getOrder"] * 3


def test_429_without_retry_after_backs_off_exponentially(
    api: FakeSellingPartnerApi, client: SellingPartnerOrdersClient, clock: FakeClock
) -> None:
    api.fail_next("getOrderItems", status=429, times=2)
    api.fail_next("getOrderItems", status=503, times=1)
    assert len(client.get_order_items("112-5000001-0000001")) == 1
    # Back-off 1 s; the 429 also emptied the token bucket (0.5 tokens/s), so 1 s more for a
    # token; back-off 2 s (by then a token is there); after the 503, back-off 4 s.
    assert clock.sleeps == [1.0, pytest.approx(1.0), 2.0, 4.0]
    assert len(api.requests) == 4


def test_still_rate_limited_after_every_attempt(
    api: FakeSellingPartnerApi, client: SellingPartnerOrdersClient
) -> None:
    api.fail_next("getOrders", status=429, retry_after="10", times=10)
    with pytest.raises(SellingPartnerRateLimited) as caught:
        client.get_orders(marketplace_ids=["ATVPDKIKX0DER"])
    assert caught.value.code == "sp_api_rate_limited" and caught.value.retry_after == 10.0
    assert len(api.requests) == 4


def test_other_errors_are_not_retried(api: FakeSellingPartnerApi, clock: FakeClock) -> None:
    with (
        SellingPartnerOrdersClient(base_url=api.url, access_token="wrong", clock=clock) as client,
        pytest.raises(SellingPartnerApiError) as caught,
    ):
        client.get_order("112-5000001-0000001")
    assert "HTTP 403" in caught.value.message and "Unauthorized" in caught.value.message
    assert len(api.requests) == 1 and clock.sleeps == []


def test_documented_rate_limits_are_honoured(
    api: FakeSellingPartnerApi, client: SellingPartnerOrdersClient, clock: FakeClock
) -> None:
    for _ in range(30):  # the burst
        client.get_order("112-5000001-0000001")
    assert clock.sleeps == []
    client.get_order("112-5000001-0000001")
    client.get_order("112-5000001-0000001")
    assert clock.sleeps == [pytest.approx(2.0), pytest.approx(2.0)]  # 0.5 requests per second

    for _ in range(20):
        client.get_orders(marketplace_ids=["ATVPDKIKX0DER"])
    assert len(clock.sleeps) == 2
    client.get_orders(marketplace_ids=["ATVPDKIKX0DER"])
    assert clock.sleeps[-1] == pytest.approx(1 / 0.0167)
    assert len(api.requests) == 32 + 21  # every call reached the server exactly once


def test_import_from_the_api(
    api: FakeSellingPartnerApi, client: SellingPartnerOrdersClient, workflow_db_url: str
) -> None:
    source = SellingPartnerOrderSource(
        client=client,
        marketplace_ids=["ATVPDKIKX0DER"],
        created_after=datetime(2026, 11, 1, tzinfo=UTC),
        sku_categories={"BW-KET-17": "small_appliances"},
    )
    engine = make_engine(workflow_db_url)
    factory = make_session_factory(engine)
    try:
        with transaction(factory) as session:
            report = import_from_source(session, source=source)
        assert (report.source, report.imported, report.inserted) == ("sp_api", 3, 3)
        assert [(f.order_id, f.error) for f in report.failed] == [
            ("112-5000004-0000004", "unknown order status 'Teleported'")
        ]
        with Session(engine) as session:
            kettle = get_order(session, order_id="112-5000001-0000001")
            canceled = get_order(session, order_id="112-5000002-0000002")
            partial = get_order(session, order_id="112-5000003-0000003")
    finally:
        engine.dispose()
    assert kettle is not None and canceled is not None and partial is not None
    # 06:30 UTC on 1 November is 31 October in the marketplace's time zone.
    assert kettle.purchase_date == date(2026, 10, 31)
    assert kettle.estimated_delivery == date(2026, 11, 5)
    assert (kettle.fulfillment_channel, kettle.buyer_name, kettle.currency) == (
        "seller",
        "Maria Lopez",
        "USD",
    )
    (line,) = kettle.items
    assert (line.price, line.quantity, line.category) == (Decimal("49.99"), 2, "small_appliances")
    assert canceled.status is OrderStatus.CANCELED
    assert canceled.fulfillment_channel == "marketplace"
    assert [i.quantity_shipped for i in partial.items] == [1, 1, 0]
