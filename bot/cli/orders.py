"""``draftdesk orders``: import order files, sync from the marketplace, load the demo orders,
look an order up.

Thin commands over :mod:`bot.orders`; library errors are one clean line and exit code 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from bot.cli.common import fail, load_settings, open_cli_database
from bot.orders import (
    OrderImportReport,
    get_order,
    import_orders_file,
    load_demo_orders,
    lookup_order_facts,
)
from bot.orders.files import DEFAULT_ORDER_TIMEZONE
from knowledge_base.db import transaction

orders_app = typer.Typer(
    name="orders",
    help="Import orders (marketplace order report or draftdesk CSV), sync them from the "
    "Selling Partner API, and load the demo orders.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@contextmanager
def _session() -> Iterator[Session]:
    """One transaction on the configured database, migrated to the newest schema first."""
    database = open_cli_database()
    try:
        with transaction(database.session_factory) as session:
            yield session
    finally:
        database.dispose()


def _summary(report: OrderImportReport, what: str) -> str:
    return (
        f"Imported {report.imported} {what} ({report.imported_rows} rows): "
        f"{report.inserted} new, {report.updated} updated, {report.unchanged} unchanged."
    )


@orders_app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="Order report (.txt/.tsv) or draftdesk CSV.", dir_okay=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    timezone: Annotated[
        str, typer.Option(help="Time zone that turns report timestamps into calendar days.")
    ] = DEFAULT_ORDER_TIMEZONE,
) -> None:
    """Import orders; rows that cannot be read are listed with their line numbers.

    An order with a bad row is not imported at all (fix the row and import again: orders
    already stored are left unchanged). Exit code 1 when any row failed.

    Example: draftdesk orders import ~/Downloads/all-orders.txt
    """
    with _session() as session:
        report = import_orders_file(session, path=file, timezone=timezone)
    if as_json:
        typer.echo(report.model_dump_json())
    else:
        typer.echo(_summary(report, "orders"))
        for failure in report.failed:
            typer.echo(f"line {failure.line}: {failure.error}")
        if report.failed:
            typer.echo(f"{len(report.failed)} row(s) not imported.")
    if report.failed:
        raise typer.Exit(code=1)


def _parse_since(value: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time (UTC unless it names an offset)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"--since {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _moment(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@orders_app.command("sync")
def sync(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Ask for orders changed since this date (YYYY-MM-DD, UTC) or ISO time, "
            "instead of since the last sync.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import the orders that changed on the marketplace since the last sync.

    Reads the Selling Partner API (getOrders, then each order's items) within its
    documented rate limits. The first sync reaches back DRAFTDESK_SP_API_FIRST_SYNC_DAYS.
    Exit code 1 when an order could not be imported.

    Example: draftdesk orders sync --since 2026-11-01
    """
    from bot.services import build_marketplace_orders, open_database, require_sp_api_setup

    settings = load_settings()
    start = _parse_since(since) if since is not None else None
    if start is not None and start > datetime.now(UTC) - timedelta(minutes=2):
        raise fail(f"--since {since} is not in the past (the API lists changes from 2 minutes ago)")
    setup = require_sp_api_setup(settings)  # one clear line when settings are missing
    database = open_database(settings)
    orders = build_marketplace_orders(settings, database.session_factory, setup=setup)
    assert orders is not None  # the setup is complete
    try:
        report = orders.sync.run(since=start)
    finally:
        orders.close()
        database.dispose()
    if as_json:
        typer.echo(report.model_dump_json())
    else:
        typer.echo(
            f"Synced orders changed since {_moment(report.since)}: {report.imported} orders "
            f"({report.inserted} new, {report.updated} updated, {report.unchanged} unchanged)."
        )
        for failure in report.failed:
            typer.echo(f"order {failure.order_id}: {failure.error}")
        if report.failed:
            typer.echo(f"{len(report.failed)} order(s) not imported.")
        typer.echo(f"The next sync asks for changes since {_moment(report.synced_until)}.")
    if report.failed:
        raise typer.Exit(code=1)


@orders_app.command("load-demo")
def load_demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load the demo seller's orders, dated relative to today (safe to run again).

    Example: draftdesk orders load-demo
    """
    with _session() as session:
        report = load_demo_orders(session, today=date.today())
    typer.echo(report.model_dump_json() if as_json else _summary(report, "demo orders"))


@orders_app.command("show")
def show(
    order_id: Annotated[str, typer.Argument(help="The order id, e.g. 112-3456789-1234567.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the order facts as JSON.")] = False,
) -> None:
    """Show what a draft may state about an order.

    Example: draftdesk orders show 112-3456789-1234567
    """
    with _session() as session:
        facts = lookup_order_facts(session, order_id=order_id)
        stored = get_order(session, order_id=order_id)
    if facts is None or stored is None:
        raise fail(f"no order {order_id.strip()} is stored")
    if as_json:
        typer.echo(facts.model_dump_json())
        return
    lines = [f"order {facts.order_id}: {facts.status}"]
    for label, value in (
        ("bought", facts.purchase_date),
        ("shipped", facts.shipped_at),
        ("expected", facts.estimated_delivery),
        ("delivered", facts.delivered_at),
        ("carrier", facts.carrier),
        ("tracking", facts.tracking_number),
        ("fulfilled by", facts.fulfillment_channel),
    ):
        if value is not None:
            lines.append(f"  {label}: {value}")
    for item in stored.items:
        shipped = "" if item.quantity_shipped is None else f", {item.quantity_shipped} shipped"
        lines.append(
            f"  {item.quantity} × {item.title} [{item.sku}"
            f"{', ' + item.category if item.category else ''}]{shipped}"
        )
    typer.echo("\n".join(lines))
