"""``draftdesk``: a thin typer CLI over the library (errors as one clean line, exit code 1)."""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.backup import backup_app, rotate_key_command
from bot.cli.common import DraftdeskGroup, console, fail, load_settings, services_for_cli
from bot.cli.kb import kb_app
from bot.cli.mail import mail_app
from bot.cli.orders import orders_app
from bot.cli.privacy import privacy_app
from bot.cli.slack import slack_command
from bot.cli.users import users_app
from bot.cli.worker import worker_command

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(
    name="draftdesk",
    help="Self-hosted customer-service copilot: grounded drafts, human approval.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=DraftdeskGroup,  # library errors: one `error: …` line, exit code 1
)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to ingest.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
) -> None:
    """Ingest md, html, pdf, csv, docx and txt files as published articles and index them.

    Example: draftdesk ingest knowledge_base/demo --json
    """
    from rich.progress import BarColumn, Progress, TextColumn

    from bot.retrieval.retriever import mark_index_changed
    from ingest.file_states import INGEST_FILE_STATES
    from ingest.pipeline import ingest_paths

    settings = load_settings()
    # One bulk job: every core embeds (serve and worker default to one thread each).
    settings = settings.model_copy(
        update={"embed_threads": settings.embed_threads or os.cpu_count() or 1}
    )
    services = services_for_cli(settings)
    show_bar = not as_json and sys.stderr.isatty()
    with Progress(
        TextColumn("embedding"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        disable=not show_bar,
    ) as bar:
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = ingest_paths(
            paths,
            session_factory=services.session_factory,
            index=services.index,
            embedder=services.embedder,
            progress=progress,
            # Files unchanged since the last run are not even parsed (10k articles: 2 s).
            file_states=services.settings.data_dir / INGEST_FILE_STATES,
        )
    mark_index_changed(services.index)  # other processes' retrievers rebuild once
    if services.pipeline is not None:
        services.pipeline.retriever.refresh()
    calibrated = services.calibrate_if_changed(
        changed=report.embedded + report.deleted, total=report.chunks
    )
    if calibrated is not None and not as_json:
        fitted = calibrated.calibration.fitted_on
        console.print(
            f"calibrated the answer/hand-off bar for this KB: midpoint "
            f"{calibrated.calibration.midpoint:.3f} (off-topic answered "
            f"{fitted.get('false_answer_rate', 0):.1%}, example questions answered "
            f"{fitted.get('recall', 0):.1%})", highlight=False,
        )
        for note in calibrated.notes:
            console.print(f"translations in {note}", highlight=False)
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        typer.echo(
            f"{report.articles} articles, {report.chunks} chunks, "
            f"{report.embedded} embedded, {report.deleted} deleted"
        )
    for failure in report.failed:
        console.print(f"[red]failed:[/red] {failure.path}: {failure.error}", highlight=False)
    services.close()
    if report.failed:
        raise typer.Exit(code=1)


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The buyer's message.")],
    name: Annotated[str | None, typer.Option("--name", help="The buyer's first name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the draft as JSON.")] = False,
    locale: Annotated[
        str | None,
        typer.Option("--locale", help="The marketplace's language (de, fr, es, it, ja) when the "
                     "message is too short to tell."),
    ] = None,
) -> None:
    """Draft a reply to a buyer message and show its sources (nothing is sent).

    Example: draftdesk ask "where is my parcel? order 112-3456789-1234567" --name Maria

    The JSON has ``language`` (the message's) and ``reply_language`` (the draft's).
    """
    from bot.drafting.interface import DraftRequest

    if not text.strip():
        raise fail("the message is empty")
    settings = load_settings()
    services = services_for_cli(settings)
    if services.index.count() == 0:
        raise fail("the knowledge base index is empty: run `draftdesk ingest knowledge_base/demo`")
    # The seller asks: every order the message names counts as bound (issue 15).
    draft = services.drafter.draft(
        DraftRequest(buyer_messages=[text], buyer_name=name, locale=locale, for_seller=True)
    )
    services.close()
    if as_json:
        typer.echo(json.dumps(draft.ask_json(), ensure_ascii=False))
        return
    typer.echo(draft.text)
    typer.echo("")
    label = "hand-off" if draft.handoff else "answer"
    typer.echo(f"[{label}] confidence {draft.confidence:.2f} · topics {', '.join(draft.intents)}")
    typer.echo(f"language {draft.language} · reply in {draft.reply_language}")
    if draft.untranslated_kb_text:
        typer.echo(f"note: {len(draft.untranslated_kb_text)} quoted KB passage(s) are not in "
                   f"{draft.reply_language}")
    for article_id, revision, title in dict.fromkeys(
        (c.article_id, c.revision, c.title) for c in draft.citations
    ):
        typer.echo(f"  source: {title} ({article_id} r{revision})")
    for check in draft.checks:
        if not check.passed:
            typer.echo(f"  check {check.severity}: {check.id}: {check.message}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    api_only: Annotated[
        bool,
        typer.Option("--api-only", help="No embedding model, no index, no in-process worker: "
                     "`draftdesk worker` processes draft (PostgreSQL + Chroma server)."),
    ] = False,
) -> None:
    """Start the web app (widget API, console, KB editor) and the in-process worker.

    Example: draftdesk serve --port 8000
    Scaled out: draftdesk serve --api-only --port 8001 (and `draftdesk worker` processes)
    """
    import uvicorn

    from bot.web.app import create_app

    settings = load_settings()
    if api_only:
        settings = settings.model_copy(update={"api_only": True, "worker_in_process": False})
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


db_app = typer.Typer(help="The SQL database's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (one process at a time: a lock on PostgreSQL).

    Run it once before starting a scaled-out deployment; processes that start meanwhile
    wait for it instead of migrating the same tables at the same time.

    Example: DRAFTDESK_DATABASE_URL=postgresql+psycopg://user@host/db draftdesk db upgrade
    """
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.database import schema_revision
    from bot.services import open_database

    settings = load_settings()
    try:
        database = open_database(settings, migrate=True)
        revision = schema_revision(database.engine)
    except (SQLAlchemyError, CommandError) as exc:
        # Unreachable server, wrong password, or a database migrated by a newer draftdesk.
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise fail(f"cannot migrate the database: {reason[:300]}") from None
    database.dispose()
    typer.echo(f"database schema at {revision}")


app.command(name="slack")(slack_command)
app.command(name="worker")(worker_command)
app.add_typer(users_app, name="users")
app.add_typer(orders_app, name="orders")
app.add_typer(kb_app, name="kb")
app.add_typer(mail_app, name="mail")
app.add_typer(privacy_app, name="privacy")
app.add_typer(backup_app, name="backup")
# Key rotation lives with the backup code (bot/cli/backup.py); it belongs under `privacy`.
privacy_app.command("rotate-key")(rotate_key_command)
app.add_typer(db_app, name="db")


def _register_plugins() -> None:
    """Sub-commands from packages above bot (e.g. ``draftdesk eval`` from evals)."""
    for entry in entry_points(group="draftdesk.commands"):
        try:
            app.add_typer(entry.load(), name=entry.name)
        except ImportError:
            continue


def builtin_command_names() -> set[str]:
    """The names of this CLI's own commands and groups (``serve``, ``worker``, ``kb``...)."""
    names = {group.name for group in app.registered_groups if group.name}
    for command in app.registered_commands:
        if command.name:
            names.add(command.name)
        elif command.callback is not None:
            names.add(command.callback.__name__.lower().replace("_", "-"))
    return names


def main() -> None:
    """Console-script entry point."""
    # A plugin imports its own stack (evals: numpy, reports): only load plugins when the
    # command may be one of theirs, so `serve --api-only` starts quickly (issue 17).
    first = sys.argv[1] if len(sys.argv) > 1 else None
    if first is None or first not in builtin_command_names():
        _register_plugins()
    app()
