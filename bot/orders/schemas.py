"""Order schemas by direction: what importers hand in and what readers get back."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.facts import OrderItemFacts
from bot.orders.errors import UnknownOrderStatus
from bot.orders.status import OrderStatus, parse_order_status

FulfillmentChannel = Literal["seller", "marketplace"]
ORDER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"


class OrderItemUpsert(BaseModel):
    """One line of an order as a source reports it; ``price`` is the price of one unit."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=500)
    category: str | None = Field(default=None, max_length=100)
    price: Decimal | None = Field(default=None, ge=0, le=1_000_000, decimal_places=2)
    quantity: int = Field(default=1, ge=0, le=10_000)
    # None: the source does not say per item (then the order's status is all we know).
    quantity_shipped: int | None = Field(default=None, ge=0, le=10_000)

    @field_validator("category")
    @classmethod
    def _normalise_category(cls, value: str | None) -> str | None:
        # Categories are matched against policy rules, so "Small Appliances" and
        # "small-appliances" must meet as "small_appliances".
        if value is None:
            return None
        cleaned = "_".join(value.replace("-", " ").lower().split())
        return cleaned or None

    @model_validator(mode="after")
    def _shipped_within_ordered(self) -> OrderItemUpsert:
        if self.quantity_shipped is not None and self.quantity_shipped > self.quantity:
            raise ValueError(
                f"quantity shipped ({self.quantity_shipped}) is more than the quantity "
                f"ordered ({self.quantity})"
            )
        return self


class OrderUpsert(BaseModel):
    """A whole order with its items, ready to be written (the unit importers produce)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    order_id: str = Field(pattern=ORDER_ID_PATTERN)
    purchase_date: date
    status: OrderStatus
    shipped_at: date | None = None
    estimated_delivery: date | None = None
    delivered_at: date | None = None
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)
    fulfillment_channel: FulfillmentChannel | None = None
    marketplace: str | None = Field(default=None, max_length=100)
    buyer_name: str | None = Field(default=None, max_length=200)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    items: list[OrderItemUpsert] = Field(min_length=1, max_length=500)

    @field_validator("status", mode="before")
    @classmethod
    def _any_marketplace_spelling(cls, value: object) -> object:
        if isinstance(value, str) and not isinstance(value, OrderStatus):
            try:
                return parse_order_status(value)
            except UnknownOrderStatus as exc:
                raise ValueError(exc.message) from exc
        return value

    @field_validator("carrier", "tracking_number", "marketplace", "buyer_name")
    @classmethod
    def _blank_is_unknown(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _dates_in_order(self) -> OrderUpsert:
        for name in ("shipped_at", "delivered_at"):
            value = getattr(self, name)
            if value is not None and value < self.purchase_date:
                raise ValueError(
                    f"{name} ({value.isoformat()}) is before the purchase date "
                    f"({self.purchase_date.isoformat()})"
                )
        if (
            self.shipped_at is not None
            and self.delivered_at is not None
            and self.delivered_at < self.shipped_at
        ):
            raise ValueError(
                f"delivered_at ({self.delivered_at.isoformat()}) is before shipped_at "
                f"({self.shipped_at.isoformat()})"
            )
        return self

    def content_hash(self) -> str:
        """A stable hash of everything stored; an unchanged hash means nothing to write."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class OrderItemPublic(OrderItemUpsert):
    """An order line as stored."""

    line_no: int


class OrderPublic(BaseModel):
    """An order as stored, with where it came from and when it last changed."""

    order_id: str
    purchase_date: date
    status: OrderStatus
    shipped_at: date | None
    estimated_delivery: date | None
    delivered_at: date | None
    carrier: str | None
    tracking_number: str | None
    fulfillment_channel: FulfillmentChannel | None
    marketplace: str | None
    buyer_name: str | None
    currency: str | None
    source: str
    items: list[OrderItemPublic]
    created_at: datetime
    updated_at: datetime


class UpsertResult(BaseModel):
    """How many orders an upsert created, changed, or found already up to date."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportFailure(BaseModel):
    """A row (or, for API sources, an order) that was not imported, and why."""

    line: int | None = None
    order_id: str | None = None
    error: str


class OrderImportReport(BaseModel):
    """The outcome of one import: good orders are written, bad rows are listed."""

    source: str
    imported: int = 0  # orders written or already up to date
    imported_rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[ImportFailure] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


class OrderLineFacts(OrderItemFacts):
    """An item's facts plus how many units have shipped (None: the source does not say).

    A subclass, so it goes wherever ``OrderItemFacts`` goes; the policy engine reads
    ``quantity_shipped`` to tell the shipped and unshipped parts of a partial shipment apart.
    """

    quantity_shipped: int | None = None
