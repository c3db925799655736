"""The one interface every order source implements, and the import that writes a source.

Sources (the marketplace order report, draftdesk's own CSV, the Selling Partner API, the
demo orders) only *read*: each returns whole, validated orders plus the rows or orders it
could not read. :func:`import_from_source` is the only place that writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from bot.orders.repository import upsert_orders
from bot.orders.schemas import ImportFailure, OrderImportReport, OrderUpsert


@dataclass
class SourceBatch:
    """What a source read: complete orders, and everything it had to leave out."""

    orders: list[OrderUpsert] = field(default_factory=list)
    failed: list[ImportFailure] = field(default_factory=list)
    rows: int = 0  # input rows (or API orders) that went into ``orders``


class OrderSource(Protocol):
    """Anything that can read orders: a file, an API, the demo data."""

    @property
    def name(self) -> str:
        """Where the orders came from, stored on each order (e.g. ``order_report``)."""
        ...

    def read(self) -> SourceBatch:
        """Read every order; never raise for one bad row, list it in ``failed`` instead."""
        ...


def import_from_source(session: Session, *, source: OrderSource) -> OrderImportReport:
    """Read ``source`` and upsert its good orders in the caller's transaction."""
    batch = source.read()
    result = upsert_orders(session, orders=batch.orders, source=source.name)
    return OrderImportReport(
        source=source.name,
        imported=len({order.order_id for order in batch.orders}),
        imported_rows=batch.rows,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        failed=sorted(batch.failed, key=lambda f: (f.line is None, f.line or 0, f.order_id or "")),
    )
