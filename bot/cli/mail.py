"""``draftdesk mail``: the Amazon inbox — import .eml files, poll the mailbox, send approved
replies, check the servers, list what was kept apart.

Thin commands over :mod:`bot.mail`; no embedding model is loaded (drafting is the worker's).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import fail, load_settings
from bot.conversations.service import Workflow
from bot.events import EventBus
from bot.facts import CheckResult, DraftReply
from bot.mail import repository as mail_repo
from bot.mail.channel import MailChannel
from bot.mail.smtp import retry_failed

mail_app = typer.Typer(
    name="mail",
    help="The Amazon inbox: buyer messages from the marketplace's e-mail relay, replies by SMTP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class _NotDrafting:
    """Mail commands store messages; the drafting worker (another process) drafts them."""

    def draft(self, request: Any) -> DraftReply:
        raise RuntimeError("this process does not draft")

    def recheck(self, text: str, *, draft: DraftReply,
                buyer_messages: Sequence[str]) -> list[CheckResult]:
        raise RuntimeError("this process does not draft")


@contextmanager
def _channel() -> Iterator[MailChannel]:
    """The mail channel on the configured (migrated) database, without any model."""
    from bot.services import build_mail_channel, open_database, workflow_config

    settings = load_settings()
    database = open_database(settings)
    events = EventBus()
    if database.engine.dialect.name == "postgresql":
        url = database.engine.url.set(drivername="postgresql")
        events.relay_through_postgres(url.render_as_string(hide_password=False))
    workflow = Workflow(session_factory=database.session_factory, drafter=_NotDrafting(),
                        events=events, config=workflow_config(settings))
    channel = build_mail_channel(settings, workflow=workflow,
                                 session_factory=database.session_factory, events=events)
    try:
        yield channel
    finally:
        channel.stop()
        events.close()
        database.dispose()


def _until_signal(stop: Any) -> None:
    def _handler(*_: Any) -> None:
        stop()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)


@mail_app.command("import")
def import_mails(
    files: Annotated[list[Path], typer.Argument(help=".eml files to store.", exists=True,
                                                dir_okay=False)],
) -> None:
    """Store mails from files with exactly the poller's rules (relay check, de-duplication).

    Example: draftdesk mail import export/*.eml
    """
    with _channel() as channel:
        for path, stored in channel.import_files(files):
            where = f" → conversation {stored.conversation_id}" if stored.conversation_id else ""
            why = f" ({stored.reason})" if stored.reason and stored.kind != "buyer" else ""
            typer.echo(f"{path.name}: {stored.kind}{where}{why}")


@mail_app.command("poll")
def poll(
    once: Annotated[bool, typer.Option("--once", help="Read new mail once and exit.")] = False,
) -> None:
    """Read the mailbox (DRAFTDESK_MAIL_IMAP_URL): IDLE where supported, else polling.

    Example: draftdesk mail poll --once
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with _channel() as channel:
        if channel.poller is None:
            raise fail("no mailbox configured: set DRAFTDESK_MAIL_IMAP_URL")
        if once:
            typer.echo(f"read {channel.poller.poll_once()} new mails")
            return
        _until_signal(lambda: channel.poller.stop(timeout=0) if channel.poller else None)
        channel.poller.run_forever()


@mail_app.command("send")
def send(
    once: Annotated[bool, typer.Option("--once", help="Send what is due and exit.")] = False,
) -> None:
    """Send approved replies waiting in the outbox (DRAFTDESK_MAIL_SMTP_URL, _MAIL_FROM).

    Example: draftdesk mail send --once
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with _channel() as channel:
        if channel.sender is None:
            raise fail("no SMTP server configured: set DRAFTDESK_MAIL_SMTP_URL and "
                       "DRAFTDESK_MAIL_FROM")
        if once:
            typer.echo(f"sent {channel.sender.send_due()} replies")
            return
        _until_signal(lambda: channel.sender.stop(timeout=0) if channel.sender else None)
        channel.sender.run_forever()


@mail_app.command("check")
def check() -> None:
    """Log in to the IMAP and the SMTP server: one line each; exit code 1 if one fails.

    Example: draftdesk mail check
    """
    with _channel() as channel:
        lines = channel.check()
    for line in lines:
        typer.echo(line.text)
    if not all(line.ok for line in lines):
        raise typer.Exit(code=1)


@mail_app.command("list")
def list_mails(
    kind: Annotated[str, typer.Option(
        help="not_from_amazon, unparseable, buyer, own_copy or all.")] = "not_from_amazon",
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """List stored mails — by default those kept apart as not from Amazon.

    Example: draftdesk mail list --kind unparseable
    """
    with _channel() as channel, channel.session_factory() as session:
        rows = mail_repo.list_inbound(session, kinds=None if kind == "all" else [kind],
                                      limit=limit)
        for row in rows:
            files = f" · {len(row.attachments)} attachments" if row.attachments else ""
            typer.echo(f"{row.id}\t{row.kind}\t{row.received_at:%Y-%m-%d %H:%M}\t"
                       f"{row.from_address or '?'}\t{row.subject[:60]}\t"
                       f"{row.reason or ''}{files}\traw: {row.raw_path}")


@mail_app.command("outbox")
def outbox(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """Show replies waiting, sent or failed, with the server's answer.

    Example: draftdesk mail outbox
    """
    with _channel() as channel, channel.session_factory() as session:
        for row in mail_repo.list_outbound(session, limit=limit):
            answer = row.server_reply or row.last_error or ""
            typer.echo(f"{row.id}\t{row.status}\t{row.to_address}\t{row.subject[:50]}\t"
                       f"attempts {row.attempts}\t{answer}")


@mail_app.command("retry")
def retry(
    outbox_id: Annotated[int, typer.Argument(help="The outbox row (see `mail outbox`).")],
) -> None:
    """Queue a failed reply again (same Message-ID).

    Example: draftdesk mail retry 12
    """
    with _channel() as channel, channel.session_factory() as session, session.begin():
        if not retry_failed(session, outbound_id=outbox_id):
            raise fail(f"outbox row {outbox_id} is not a failed reply")
    typer.echo(f"reply {outbox_id} queued again")
