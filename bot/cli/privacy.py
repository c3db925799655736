"""``draftdesk privacy``: purge buyer data past retention, erase or export one buyer's data.

Thin commands over :mod:`bot.privacy`; the embedding model is loaded only when an erasure
removed a learned question and the search index must be re-synced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import load_settings, open_cli_database, services_for_cli
from bot.privacy.service import PrivacyDesk, PrivacyReport
from bot.privacy.wiring import build_privacy_desk, live_chunk_ids

if TYPE_CHECKING:
    from bot.services import Services

privacy_app = typer.Typer(
    name="privacy",
    help="Buyer data protection: purge data past retention, erase or export one buyer's data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

BuyerOption = Annotated[
    str,
    typer.Option("--buyer", help="A conversation id, a relay address or an order id."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


@contextmanager
def _desk() -> Iterator[PrivacyDesk]:
    """The desk on the configured database; the model and index are opened only when an
    erasure removed something from the index (a learned question)."""
    settings = load_settings()
    database = open_cli_database()
    opened: list[Services] = []

    def services() -> Services:
        if not opened:
            opened.append(services_for_cli(settings))
        return opened[0]

    try:
        yield build_privacy_desk(
            settings,
            session_factory=database.session_factory,
            resync_index=lambda: services().resync_index(),
            live_index_ids=lambda: live_chunk_ids(services()),
        )
    finally:
        for built in opened:
            built.close()
        database.dispose()


def _print(report: PrivacyReport, *, as_json: bool, what: str) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    if report.dry_run:
        typer.echo(
            f"{len(report.conversations)} conversations and "
            f"{report.removed.get('orders_due', 0)} orders are due (nothing removed)"
        )
        return
    if report.nothing_left:
        typer.echo(f"nothing left to {what}")
        return
    typer.echo(f"{what}d {len(report.conversations)} conversations")
    for place, count in sorted(report.removed.items()):
        typer.echo(f"  {place}: {count}")
    if report.slack_cards_redacted or report.slack_cards_failed:
        typer.echo(
            f"  slack cards redacted: {report.slack_cards_redacted}"
            + (f" ({report.slack_cards_failed} failed)" if report.slack_cards_failed else "")
        )
    if report.index_resynced:
        typer.echo("  search index re-synced")


@privacy_app.command("purge")
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what is due.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Remove buyer data past DRAFTDESK_RETENTION_DAYS (after delivery or last activity).

    Example: draftdesk privacy purge --dry-run
    """
    with _desk() as desk:
        report = desk.purge(dry_run=dry_run)
    _print(report, as_json=as_json, what="purge")
    if report.slack_cards_failed:
        raise typer.Exit(code=1)


@privacy_app.command("erase")
def erase(buyer: BuyerOption, as_json: JsonOption = False) -> None:
    """Erase every copy of one buyer's data now; a second run reports nothing left.

    Example: draftdesk privacy erase --buyer 112-3456789-1234567
    """
    with _desk() as desk:
        report = desk.erase(buyer, actor="cli")
    _print(report, as_json=as_json, what="erase")
    if report.slack_cards_failed:
        raise typer.Exit(code=1)


@privacy_app.command("export")
def export(buyer: BuyerOption) -> None:
    """Print everything stored about one buyer as JSON (an access request).

    Example: draftdesk privacy export --buyer abc123@marketplace.amazon.com
    """
    with _desk() as desk:
        data = desk.export(buyer)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
