"""``draftdesk worker``: a drafting worker process (scale out next to ``draftdesk serve``)."""

from __future__ import annotations

import logging
import signal
from typing import Annotated, Any

import typer

from bot.cli.common import load_settings


def worker_command(
    exit_when_idle: Annotated[
        bool, typer.Option("--exit-when-idle", help="Stop once no work can be claimed.")
    ] = False,
) -> None:
    """Draft queued buyer messages until stopped (Ctrl-C / SIGTERM finish the current one).

    Run several on PostgreSQL (claims use FOR UPDATE SKIP LOCKED); with the embedded SQLite
    default the in-process worker of `draftdesk serve` is enough.

    Example: DRAFTDESK_DATABASE_URL=postgresql+psycopg://host/db draftdesk worker
    """
    from bot.privacy.wiring import start_privacy_purge
    from bot.services import (
        build_services,
        start_event_relay,
        start_mail,
        start_order_sync,
    )
    from bot.worker import DraftingWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = load_settings()
    services = build_services(settings)
    start_event_relay(services)
    if not exit_when_idle:
        start_mail(services)  # the Amazon inbox's poller and sender, when configured
        start_order_sync(services)  # orders from the marketplace, when configured
        start_privacy_purge(services)  # buyer data past retention (a daemon thread)
    # Only expired claims are released: other workers may be busy with theirs.
    services.workflow.resume_after_restart(release_all_claims=False)
    worker = DraftingWorker(
        workflow=services.workflow, poll_seconds=settings.worker_poll_seconds,
        heartbeat_seconds=settings.worker_heartbeat_seconds,
        batch_size=settings.worker_batch_size,
    )

    def _stop(*_: Any) -> None:
        worker.stop(timeout=0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        if exit_when_idle:
            done = worker.run_until_idle()
            typer.echo(f"drafted {done} conversations")
        else:
            worker.run_forever()
    finally:
        services.close()
