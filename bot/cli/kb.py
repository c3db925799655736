"""``draftdesk kb export`` / ``kb import``: the knowledge base as Markdown files in a folder.

Thin commands over :mod:`bot.kb_editor.transfer`, so a KB can live in git: export, edit or
review the files, import them back. Import is all or nothing and re-syncs the search index.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.database import upgrade_to_head
from bot.kb_editor.errors import KbEditorError
from bot.kb_editor.transfer import TransferReport, export_kb, import_kb
from bot.settings import Settings
from ingest.errors import IngestError
from knowledge_base.db import make_engine, make_session_factory, transaction
from knowledge_base.errors import KnowledgeBaseError

kb_app = typer.Typer(
    name="kb",
    help="Export and import the knowledge base as Markdown files with front matter.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
_errors = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=1)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        raise _fail(f"invalid settings: {exc}") from exc


def _print(report: TransferReport, *, as_json: bool, verb: str) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    if verb == "exported":
        typer.echo(f"{len(report.written)} articles exported")
        return
    typer.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.deleted)} deleted"
    )


@kb_app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Folder to write <id>.md files into.")],
    clean: Annotated[
        bool, typer.Option("--clean", help="Remove *.md files already in the folder first.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
) -> None:
    """Write every article's newest revision as Markdown with front matter.

    One <id>.md per article; the front matter holds id, status, title, topics, questions,
    tags and locale.

    Example: draftdesk kb export ./kb --clean
    """
    settings = _settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade_to_head(engine)
        with make_session_factory(engine)() as session:
            report = export_kb(session, directory=directory, clean=clean)
    except OSError as exc:
        raise _fail(f"{directory}: cannot write ({exc.strerror or exc})") from exc
    finally:
        engine.dispose()
    _print(report, as_json=as_json, verb="exported")


@kb_app.command("import")
def import_command(
    directory: Annotated[Path, typer.Argument(help="Folder of article files (md, html, …).")],
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete articles that have no file in the folder.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
) -> None:
    """Bring the KB in line with a folder (a bad file imports nothing).

    New revisions are added only where content changed; the status in each file decides
    publication, and the search index is re-synced.

    Example: draftdesk kb import ./kb --prune
    """
    from bot.services import build_services
    from bot.worker import test_service_overrides

    settings = _settings()
    services = build_services(settings, **test_service_overrides(settings))
    try:
        with transaction(services.session_factory) as session:
            report = import_kb(session, directory=directory, actor="cli:kb-import", prune=prune)
        services.resync_index()
    except (KbEditorError, KnowledgeBaseError, IngestError) as exc:
        raise _fail(exc.message) from exc
    finally:
        services.close()
    _print(report, as_json=as_json, verb="imported")
