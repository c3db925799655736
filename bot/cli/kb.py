"""``draftdesk kb export`` / ``kb import``: the knowledge base as Markdown files in a folder;
``draftdesk kb lint``: sentences that contradict the seller's policy file.

Thin commands over :mod:`bot.kb_editor.transfer`, so a KB can live in git: export, edit or
review the files, import them back. Import is all or nothing and re-syncs the search index.
Lint (:mod:`bot.kb_editor.lint`) reads a folder or the published KB and changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, load_settings, open_cli_database, services_for_cli
from bot.kb_editor.transfer import TransferReport, export_kb, import_kb
from knowledge_base.db import transaction

kb_app = typer.Typer(
    name="kb",
    help="Export, import and lint the knowledge base (Markdown files with front matter).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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
    database = open_cli_database()
    try:
        with database.session_factory() as session:
            report = export_kb(session, directory=directory, clean=clean)
    except OSError as exc:
        raise fail(f"{directory}: cannot write ({exc.strerror or exc})") from exc
    finally:
        database.dispose()
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

    settings = load_settings()
    services = build_services(settings)
    try:
        with transaction(services.session_factory) as session:
            report = import_kb(session, directory=directory, actor="cli:kb-import", prune=prune)
        services.resync_index()
    finally:
        services.close()
    _print(report, as_json=as_json, verb="imported")


def _policy_file(directory: Path | None, policy: Path | None) -> Path:
    """--policy when given, else the folder's own _seller/policy.yaml, else the configured one."""
    if policy is not None:
        return policy
    if directory is not None and (directory / "_seller" / "policy.yaml").is_file():
        return directory / "_seller" / "policy.yaml"
    return load_settings().resolved_policy_file


@kb_app.command("lint")
def lint_command(
    directory: Annotated[
        Path | None,
        typer.Argument(help="Folder of article files (as for ingest); omit to check the "
                            "published KB."),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy file. Default: DIR/_seller/policy.yaml when it "
                                      "exists, else DRAFTDESK_POLICY_FILE (or the demo's)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List sentences whose figures contradict the policy file or another article.

    Return windows, warranties, restocking fees, refund timing, the holiday window and the
    returnless-refund price limit are compared with the rule that governs them. Like a
    linter: prints nothing and exits 0 when all agree, one line per contradiction and exit
    code 1 otherwise.

    Example: draftdesk kb lint knowledge_base/demo
    """
    from bot.kb_editor.lint import articles_in_directory, lint_articles, published_articles
    from bot.policy import load_policy

    rules = load_policy(_policy_file(directory, policy))
    if directory is not None:
        articles = articles_in_directory(directory)
    else:
        database = open_cli_database()
        try:
            with database.session_factory() as session:
                articles = published_articles(session)
        finally:
            database.dispose()
    findings = lint_articles(articles, rules)
    if as_json:
        typer.echo(json.dumps([finding.as_json() for finding in findings], ensure_ascii=False))
    else:
        for finding in findings:
            typer.echo(finding.line())
    if findings:
        raise typer.Exit(code=1)


@kb_app.command("calibrate")
def calibrate_command(
    queries: Annotated[
        Path | None,
        typer.Option("--queries", dir_okay=False,
                     help="Buyer-voice dev file (EVAL.md JSONL with `article`/`expect`) to "
                          "fit on as well."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
) -> None:
    """Fit the answer/hand-off bar to this KB and store it with the index.

    Messages no shop answers (shipped with draftdesk) must stay below the bar; each example
    question, asked again without its own chunk, shows what the bar costs. With --queries,
    the dev file's answerable messages and out-of-scope hand-offs count too. Ingest runs
    this by itself when it changed at least a tenth of the KB.

    Example: draftdesk kb calibrate --queries evals/data/buyer_dev.jsonl
    """
    from bot.retrieval.kb_calibration import read_dev_messages

    settings = load_settings()
    dev = read_dev_messages(queries) if queries is not None else []
    services = services_for_cli(settings)
    try:
        if services.index.count() == 0:
            raise fail("the knowledge base index is empty: run `draftdesk ingest` first")
        report = services.calibrate_kb(dev=dev)
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps(report.as_json()))
        return
    fitted = report.calibration.fitted_on
    typer.echo(
        f"midpoint {report.calibration.midpoint:.3f} (out-of-scope lift "
        f"{report.calibration.out_of_scope_lift:.2f}, off-topic weight "
        f"{report.calibration.off_topic_weight:.2f}, order bonus "
        f"{report.calibration.order_bonus:.2f})\n"
        f"{report.questions} example questions ({report.questions_ranked_right} find their own "
        f"article without their own chunk), {report.probes} off-topic probes, "
        f"{report.dev_messages} dev messages\n"
        f"answered at this bar: {fitted.get('recall', 0):.1%} of the messages the KB answers, "
        f"{fitted.get('false_answer_rate', 0):.1%} of the off-topic ones\n"
        + "".join(f"translations in {note}\n" for note in report.notes)
        + "stored with the index"
    )
