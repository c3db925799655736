"""Fixtures of the order tests: the fake Amazon on 127.0.0.1 and orders shaped like the real
Orders v0 answers (fields as in Amazon's published model)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from tests.orders.fake_amazon import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, US, FakeAmazon, iso


def amazon_order(
    order_id: str,
    *,
    updated: datetime,
    status: str = "Shipped",
    purchased: datetime | None = None,
    channel: str = "MFN",
    buyer: str | None = "Maria Lopez",
) -> dict[str, Any]:
    purchased = purchased or updated - timedelta(days=2)
    order: dict[str, Any] = {
        "AmazonOrderId": order_id,
        "PurchaseDate": iso(purchased),
        "LastUpdateDate": iso(updated),
        "OrderStatus": status,
        "FulfillmentChannel": channel,
        "SalesChannel": "Amazon.com",
        "MarketplaceId": US,
        "NumberOfItemsShipped": 1 if status == "Shipped" else 0,
        "NumberOfItemsUnshipped": 0 if status == "Shipped" else 1,
        "PaymentMethod": "Other",
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestDeliveryDate": iso(purchased + timedelta(days=3)),
        "LatestDeliveryDate": iso(purchased + timedelta(days=6)),
        "IsPrime": False,
        "IsBusinessOrder": False,
        "OrderTotal": {"CurrencyCode": "USD", "Amount": "38.00"},
    }
    if buyer:
        order["BuyerInfo"] = {
            "BuyerEmail": "r3kz8m0yq2cz9wd@marketplace.amazon.com",
            "BuyerName": buyer,
        }
    return order


def amazon_item(
    sku: str, title: str, *, quantity: int = 1, shipped: int = 1, amount: str = "38.00"
) -> dict[str, Any]:
    return {
        "ASIN": "B07MUGSET4",
        "SellerSKU": sku,
        "OrderItemId": f"6826{abs(hash(sku)) % 10**10:010d}",
        "Title": title,
        "QuantityOrdered": quantity,
        "QuantityShipped": shipped,
        "ItemPrice": {"CurrencyCode": "USD", "Amount": amount},
        "ProductInfo": {"NumberOfItems": "1"},
    }


@pytest.fixture
def amazon() -> Iterator[FakeAmazon]:
    fake = FakeAmazon(page_size=2).start()
    yield fake
    fake.stop()


@pytest.fixture
def sp_api_settings(workflow_settings: Any, amazon: FakeAmazon) -> Any:
    """The test database's settings with the Selling Partner API pointed at the fake."""
    return workflow_settings.model_copy(
        update={
            "sp_api_refresh_token": SecretStr(REFRESH_TOKEN),
            "sp_api_client_id": SecretStr(CLIENT_ID),
            "sp_api_client_secret": SecretStr(CLIENT_SECRET),
            "sp_api_marketplace_ids": [US],
            "sp_api_endpoint": amazon.url,
            "sp_api_token_url": amazon.token_url,
        }
    )


@pytest.fixture
def hour_ago() -> datetime:
    """Amazon's clock during a test's first sync: an hour behind ours, so that changes made
    "later" on the marketplace can be listed by a second sync without waiting."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
