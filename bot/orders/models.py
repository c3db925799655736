"""Tables of the orders store: one row per order, one row per order line."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.protection.crypto import EncryptedText
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime


class Order(Base):
    """An order as the marketplace (or the seller's own export) reports it."""

    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purchase_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(30))
    shipped_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    estimated_delivery: Mapped[date | None] = mapped_column(Date, nullable=True)
    delivered_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    carrier: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tracking_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    fulfillment_channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    marketplace: Mapped[str | None] = mapped_column(String(100), nullable=True)
    buyer_name: Mapped[str | None] = mapped_column(EncryptedText(sqlite_length=200), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    source: Mapped[str] = mapped_column(String(40))
    # sha256 of the imported content: a re-import with the same hash writes nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderItem.line_no",
    )


class OrderItem(Base):
    """One line of an order.

    The unit price is kept in integer cents: exact on every database (SQLite has no decimal
    type) and enough for marketplace prices.
    """

    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_id", "line_no", name="uq_order_items_line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.order_id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_shipped: Mapped[int | None] = mapped_column(Integer, nullable=True)

    order: Mapped[Order] = relationship(back_populates="items")


class OrderSyncState(Base):
    """How far the marketplace's orders have been read, and who is reading them now.

    ``synced_until``: every order changed up to this moment has been imported (the next
    sync asks only for later changes). A sync holds the lease (``lease_owner`` until
    ``lease_until``, renewed as it goes), so several processes never sync at once.
    """

    __tablename__ = "order_sync_state"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    synced_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
