"""``draftdesk worker``: a drafting worker process (scale out next to ``draftdesk serve``)."""

from __future__ import annotations

import logging
import signal
from typing import Annotated, Any

import typer

from bot.settings import Settings


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
    from bot.services import build_services
    from bot.worker import DraftingWorker, test_service_overrides

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = Settings()
    except ValueError as exc:
        typer.echo(f"error: invalid settings: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    services = build_services(settings, **test_service_overrides(settings))
    on_postgres = services.engine.dialect.name == "postgresql"
    if on_postgres:
        url = services.engine.url.set(drivername="postgresql")
        services.events.relay_through_postgres(url.render_as_string(hide_password=False))
    # Only expired claims are released: other workers may be busy with theirs.
    services.workflow.resume_after_restart(release_all_claims=False)
    worker = DraftingWorker(workflow=services.workflow, poll_seconds=settings.worker_poll_seconds)

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
