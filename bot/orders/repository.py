"""All SQL of the orders store: keyword-only functions that take the session.

Upserts are safe on PostgreSQL under concurrency (``INSERT … ON CONFLICT``) and idempotent:
an order whose content hash has not changed is not written at all, so re-importing the same
file changes nothing (not even ``updated_at``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from bot.facts import OrderFacts, OrderItemFacts
from bot.orders.models import Order, OrderItem
from bot.orders.schemas import (
    OrderItemPublic,
    OrderLineFacts,
    OrderPublic,
    OrderUpsert,
    UpsertResult,
)
from bot.orders.status import OrderStatus
from knowledge_base.clock import utcnow


def _cents(price: Decimal | None) -> int | None:
    return None if price is None else int((price * 100).to_integral_value())


def _price(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _order_values(order: OrderUpsert, *, source: str, now: datetime) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "purchase_date": order.purchase_date,
        "status": order.status.value,
        "shipped_at": order.shipped_at,
        "estimated_delivery": order.estimated_delivery,
        "delivered_at": order.delivered_at,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "fulfillment_channel": order.fulfillment_channel,
        "marketplace": order.marketplace,
        "buyer_name": order.buyer_name,
        "currency": order.currency,
        "source": source,
        "content_hash": order.content_hash(),
        "created_at": now,
        "updated_at": now,
    }


def _item_rows(order: OrderUpsert) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order.order_id,
            "line_no": line_no,
            "sku": item.sku,
            "title": item.title,
            "category": item.category,
            "price_cents": _cents(item.price),
            "quantity": item.quantity,
            "quantity_shipped": item.quantity_shipped,
        }
        for line_no, item in enumerate(order.items, start=1)
    ]


def _write_order_row(session: Session, values: dict[str, Any]) -> bool:
    """Insert or update one order row; False when another writer already stored this content."""
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = make_insert(Order).values(**values)
        changed = {
            name: stmt.excluded[name] for name in values if name not in ("order_id", "created_at")
        }
        upsert = stmt.on_conflict_do_update(
            index_elements=[Order.order_id],
            set_=changed,
            where=Order.content_hash != stmt.excluded.content_hash,
        ).returning(Order.order_id)
        return session.execute(upsert).first() is not None
    # Other databases: read-then-write, fine for the single-writer embedded setups.
    existing = session.get(Order, values["order_id"])
    if existing is None:
        session.execute(insert(Order).values(**values))
        return True
    if existing.content_hash == values["content_hash"]:
        return False
    for name, value in values.items():
        if name not in ("order_id", "created_at"):
            setattr(existing, name, value)
    session.flush()
    return True


def upsert_orders(session: Session, *, orders: Sequence[OrderUpsert], source: str) -> UpsertResult:
    """Write orders with their items; an order already stored with the same content is left
    untouched. A later order with the same id in ``orders`` wins. The caller commits."""
    latest: dict[str, OrderUpsert] = {order.order_id: order for order in orders}
    if not latest:
        return UpsertResult()
    session.flush()
    rows = session.execute(
        select(Order.order_id, Order.content_hash).where(Order.order_id.in_(latest))
    )
    known: dict[str, str] = {order_id: content_hash for order_id, content_hash in rows}
    result = UpsertResult()
    now = utcnow()
    for order_id, order in latest.items():
        values = _order_values(order, source=source, now=now)
        if known.get(order_id) == values["content_hash"]:
            result.unchanged += 1
            continue
        if not _write_order_row(session, values):
            result.unchanged += 1
            continue
        # Items are replaced as a whole: the source's latest view of the order is the truth.
        session.execute(delete(OrderItem).where(OrderItem.order_id == order_id))
        session.execute(insert(OrderItem), _item_rows(order))
        if order_id in known:
            result.updated += 1
        else:
            result.inserted += 1
        # Core statements bypass the identity map; drop any stale copy loaded earlier.
        stale = session.identity_map.get(identity_key(Order, order_id))
        if stale is not None:
            session.expire(stale)
    return result


def _to_public(order: Order) -> OrderPublic:
    return OrderPublic(
        order_id=order.order_id,
        purchase_date=order.purchase_date,
        status=OrderStatus(order.status),
        shipped_at=order.shipped_at,
        estimated_delivery=order.estimated_delivery,
        delivered_at=order.delivered_at,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        fulfillment_channel=order.fulfillment_channel,
        marketplace=order.marketplace,
        buyer_name=order.buyer_name,
        currency=order.currency,
        source=order.source,
        items=[
            OrderItemPublic(
                line_no=item.line_no,
                sku=item.sku,
                title=item.title,
                category=item.category,
                price=_price(item.price_cents),
                quantity=item.quantity,
                quantity_shipped=item.quantity_shipped,
            )
            for item in order.items
        ],
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def normalise_order_id(order_id: str) -> str:
    """The id as stored: surrounding space and a leading ``#`` removed (buyers type both)."""
    return order_id.strip().lstrip("#").strip()


def get_order(session: Session, *, order_id: str) -> OrderPublic | None:
    """One stored order with its items, or None when the id is unknown."""
    order = session.execute(
        select(Order)
        .where(Order.order_id == normalise_order_id(order_id))
        .options(selectinload(Order.items))
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return None if order is None else _to_public(order)


def list_orders(session: Session, *, limit: int = 50) -> list[OrderPublic]:
    """The most recently bought orders first."""
    orders = session.execute(
        select(Order)
        .order_by(Order.purchase_date.desc(), Order.order_id)
        .limit(limit)
        .options(selectinload(Order.items))
    ).scalars()
    return [_to_public(order) for order in orders]


def order_facts(order: OrderPublic | OrderUpsert) -> OrderFacts:
    """What a draft may state about an order (no buyer name: drafts greet from the message)."""
    items: list[OrderItemFacts] = [
        OrderLineFacts(
            sku=item.sku,
            title=item.title,
            category=item.category,
            price=None if item.price is None else float(item.price),
            quantity=item.quantity,
            quantity_shipped=item.quantity_shipped,
        )
        for item in order.items
    ]
    return OrderFacts(
        order_id=order.order_id,
        status=order.status.value,
        purchase_date=order.purchase_date,
        shipped_at=order.shipped_at,
        estimated_delivery=order.estimated_delivery,
        delivered_at=order.delivered_at,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        items=items,
        fulfillment_channel=order.fulfillment_channel,
        marketplace=order.marketplace,
        currency=order.currency,
    )


def lookup_order_facts(session: Session, *, order_id: str) -> OrderFacts | None:
    """The facts a draft may state about ``order_id``, or None when no such order is stored
    (the draft must then ask the buyer to check the id, never guess a status)."""
    order = get_order(session, order_id=order_id)
    return None if order is None else order_facts(order)


def catalogue_titles(session: Session, *, limit: int = 5000) -> list[str]:
    """The distinct item titles of the seller's orders: their catalogue as buyers see it."""
    rows = session.execute(select(OrderItem.title).distinct().limit(limit)).scalars()
    return list(rows)
