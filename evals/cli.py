"""``draftdesk eval …``: thin typer commands over the evals library functions."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.cli.common import DraftdeskGroup, console
from bot.settings import DEMO_KB_DIR, PACKAGE_ROOT
from bot.understanding.topics import DEFAULT_MODEL_PATH
from evals.report import ReportInputs

DEFAULT_DATASETS_DIR = PACKAGE_ROOT.parent / "shared" / "datasets"

app = typer.Typer(
    name="eval",
    help="Measure draftdesk on third-party data (see evals/README.md).",
    no_args_is_help=True,
    add_completion=False,
    cls=DraftdeskGroup,  # library errors: one `error: …` line, exit code 1
)

DatasetsOption = Annotated[
    Path,
    typer.Option(
        "--datasets",
        help="The shared datasets folder (see its README).",
        file_okay=False,
    ),
]


QueriesOption = Annotated[
    Path,
    typer.Option("--queries", help="A JSONL query file (see EVAL.md).", dir_okay=False),
]
KbOption = Annotated[
    Path,
    typer.Option("--kb", help="Knowledge-base folder to ingest (default: the demo KB).",
                 file_okay=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

@contextmanager
def _progress(label: str, *, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (only on a terminal and not with ``--json``)."""
    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), console=console,
        disable=quiet or not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@app.command("convert")
def convert(
    out: Annotated[Path, typer.Option("--out", help="Folder for the JSONL query files.")],
    datasets: DatasetsOption = DEFAULT_DATASETS_DIR,
) -> None:
    """Convert the tuning splits of the shared datasets to EVAL.md query files.

    Example: draftdesk eval convert --out var/evals
    """
    from evals.datasets import convert_all

    written = convert_all(datasets, out)
    typer.echo(f"{'file':<22} {'rows':>6} {'answer':>7} {'handoff':>8} {'dropped':>8}")
    for item in written:
        typer.echo(
            f"{item.name:<22} {item.rows:>6} {item.answer:>7} {item.handoff:>8} "
            f"{item.dropped:>8}"
        )
    typer.echo(f"written to {out}")


@app.command("train-topics")
def train_topics(
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the model (.npz).", dir_okay=False)
    ] = DEFAULT_MODEL_PATH,
    datasets: DatasetsOption = DEFAULT_DATASETS_DIR,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Reuse embeddings across runs (e.g. /tmp/dd-emb)."),
    ] = None,
) -> None:
    """Train the topic classifier shipped as bot/understanding/topic_model.npz.

    Example: draftdesk eval train-topics --cache-dir /tmp/dd-emb
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from evals.topic_training import (
        embed_with_cache,
        load_topic_pool,
        read_probes,
        train_topic_model,
    )
    from ingest.embedder import SentenceTransformerEmbedder

    pool = load_topic_pool(datasets)
    probes = read_probes()
    embedder = SentenceTransformerEmbedder()
    classifier, report = train_topic_model(
        pool,
        lambda texts: embed_with_cache(embedder, texts, cache_dir=cache_dir),
        embedder_name=embedder.name,
        probes=probes,
        progress=typer.echo,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    classifier.save(out)
    scores = report.scores
    typer.echo(f"chose C={report.c:g}, temperature={report.temperature:g} "
               f"({report.train_rows} training rows, {len(classifier.classes)} classes)")
    typer.echo(f"Bitext dev accuracy (27 topics):     {scores.bitext_accuracy:.4f}")
    typer.echo(f"Bitext dev accuracy (tiers A+B):     {scores.answer_accuracy:.4f}")
    typer.echo(f"CLINC val+oos_val out-of-scope recall: {scores.oos_recall:.4f}")
    typer.echo(f"hand-off recall (C+D + CLINC, argmax): {scores.handoff_recall:.4f}")
    typer.echo(f"false hand-off (A+B, argmax):          {scores.false_handoff:.4f}")
    if report.probe_accuracy is not None:
        typer.echo(f"seller-voice probes (ours, held out):  {report.probe_accuracy:.4f}")
        for text in report.probe_failures:
            typer.echo(f"  missed: {text}")
    typer.echo(f"wrote {out} ({out.stat().st_size:,} bytes)")


@app.command("retrieval")
def retrieval(
    queries: QueriesOption,
    kb: KbOption = DEMO_KB_DIR,
    as_json: JsonOption = False,
    baselines: Annotated[
        bool, typer.Option("--baselines/--no-baselines", help="Also score BM25 and LangChain.")
    ] = True,
    outcomes: Annotated[
        Path | None,
        typer.Option("--outcomes", help="Also write one JSON line per query here.",
                     dir_okay=False),
    ] = None,
) -> None:
    """Hit@1/3, MRR, hand-off recall and latency of drafting's own routing on a query file.

    Example: draftdesk eval retrieval --queries var/evals/bitext_dev.jsonl --json
    """
    _offline()
    from evals.harness import eval_environment
    from evals.queries import read_queries
    from evals.runs import evaluate_retrieval

    rows = read_queries(queries)
    with eval_environment(kb) as environment, _progress("routing", quiet=as_json) as bar:
        run = evaluate_retrieval(environment, rows, baselines=baselines, progress=bar)
    if outcomes is not None:
        _write_outcomes(outcomes, [o.as_json() for o in run.outcomes])
    if as_json:
        typer.echo(json.dumps(run.summary))
    else:
        typer.echo(format_retrieval(run.summary))


def _write_outcomes(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            # Buyer-voice messages and drafts: names, contacts, cards masked (issue 16).
            handle.write(json.dumps(_masked(row), ensure_ascii=False) + "\n")


def _masked(value: Any) -> Any:
    from bot.checks.redaction import redact_pii

    if isinstance(value, str):
        return redact_pii(value, order_ids=False)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def format_retrieval(summary: dict[str, Any]) -> str:
    """The retrieval summary as a side-by-side table (draftdesk and each baseline)."""
    columns: list[tuple[str, dict[str, Any]]] = [("draftdesk", summary)]
    for name, result in summary.get("baselines", {}).items():
        columns.append((name, result))
        if "at_oracle_threshold" in result:
            columns.append((f"{name}@cut", result["at_oracle_threshold"]))
    rows: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("answer Hit@1", lambda r: r["answer"]["hit_at_1"]),
        ("answer Hit@3", lambda r: r["answer"]["hit_at_3"]),
        ("answer MRR", lambda r: r["answer"]["mrr"]),
        ("false hand-off", lambda r: r["answer"]["false_handoff_rate"]),
        ("hand-off recall", lambda r: r["handoff"]["recall"]),
        ("latency p50 ms", lambda r: r.get("latency_ms", {}).get("p50")),
        ("latency p95 ms", lambda r: r.get("latency_ms", {}).get("p95")),
    ]
    width = max(16, *(len(name) + 2 for name, _ in columns))
    lines = [
        f"{summary['n']} queries: {summary['answer']['n']} answer, "
        f"{summary['handoff']['n']} hand-off; threshold {summary.get('threshold')}",
        f"{'':<18}" + "".join(f"{name:>{width}}" for name, _ in columns),
    ]
    for label, value_of in rows:
        cells = []
        for _, result in columns:
            value = value_of(result)
            cells.append(f"{'–' if value is None else f'{value:.3f}':>{width}}")
        lines.append(f"{label:<18}" + "".join(cells))
    if summary.get("baselines"):
        lines.append("@cut: the baseline's best single score cut for 95% hand-off recall, "
                     "chosen on this very file.")
    if summary.get("confusions"):
        lines.append("most confused: " + "; ".join(
            f"{c['expected']} → {c['got']} ×{c['count']}" for c in summary["confusions"][:5]
        ))
    return "\n".join(lines)


@app.command("drafts")
def drafts(
    queries: QueriesOption,
    kb: KbOption = DEMO_KB_DIR,
    as_json: JsonOption = False,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N queries.", min=1)
    ] = None,
    orders: Annotated[
        str,
        typer.Option("--orders", metavar="demo|none|FILE",
                     help="Orders to load: the demo orders (dated relative to today), none, "
                          "or an order file as `draftdesk orders import` reads it."),
    ] = "demo",
    policy: Annotated[
        Path | None,
        typer.Option("--policy", dir_okay=False,
                     help="Seller policy YAML (default: KB/_seller/policy.yaml if present, "
                          "else the configured one); its seller_name signs the drafts."),
    ] = None,
    outcomes: Annotated[
        Path | None,
        typer.Option("--outcomes", dir_okay=False,
                     help="Also write one JSON line per query: the `draftdesk ask --json` "
                          "object plus query_text, handoff_reason and language."),
    ] = None,
) -> None:
    """Full drafting (offline composer), reply checks and buyer-voice fields on a query file.

    Example: draftdesk eval drafts --queries evals/data/buyer_dev.jsonl --outcomes out.jsonl
    """
    _offline()
    from evals.harness import (
        check_orders_source,
        eval_environment,
        load_orders,
        seller_overrides,
    )
    from evals.queries import read_queries
    from evals.runs import evaluate_drafts

    rows = read_queries(queries)[:limit]
    overrides = seller_overrides(kb, policy)
    check_orders_source(orders)  # before the KB is ingested: a typo fails in a second
    with eval_environment(kb, settings_overrides=overrides) as environment:
        report = load_orders(environment, orders)
        settings = environment.services.settings
        with _progress("drafting", quiet=as_json) as bar:
            summary, drafted = evaluate_drafts(environment, rows, progress=bar)
    summary["orders"] = {
        "source": orders,
        "imported": report.imported if report else 0,
        "failed_rows": len(report.failed) if report else 0,
    }
    if report is not None and report.failed:
        first = report.failed[0]
        console.print(
            f"[yellow]warning:[/yellow] {len(report.failed)} order row(s) of {orders} not "
            f"imported (first: line {first.line}: {first.error})", highlight=False,
        )
    summary["policy_file"] = str(settings.resolved_policy_file)
    summary["seller_name"] = settings.seller_name
    if outcomes is not None:
        _write_outcomes(outcomes, [o.outcome_line() for o in drafted])
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(format_drafts(summary))


FIELD_LABELS = {
    "routed_right": "routed right (first citation)",
    "answered": "answered (no wrong hand-off)",
    "handed_off": "handed off when expected",
    "handoff_reason": "hand-off reason",
    "lang": "reply language",
    "verdict": "policy verdict",
    "must_mention": "must mention",
    "must_not": "must not mention",
    "no_response": "no response suggested",
}


def format_drafts(summary: dict[str, Any]) -> str:
    """The drafts summary as lines a person can scan."""
    lines = [
        f"{summary['n']} drafts ({summary['answer_drafts']} answers, "
        f"{summary['handoff_drafts']} hand-offs)",
        f"answer drafts citing >= 1 valid article: {summary['cited_share']:.3f}",
        f"hand-off decided as expected:           {summary['handoff_correct']:.3f}",
        f"ready to send (no blocking failure):     {summary['ready_to_send']:.3f}",
        f"latency p50 / p95 ms: {summary['latency_ms']['p50']} / {summary['latency_ms']['p95']}",
        "checks (pass rate on all drafts / on answer drafts):",
    ]
    for check_id, entry in summary["checks"].items():
        on_answers = entry.get("answer_pass_rate")
        lines.append(
            f"  {check_id:<32} {entry['severity']:<6} {entry['pass_rate']:.3f} / "
            + ("–" if on_answers is None else f"{on_answers:.3f}")
        )
        for example in entry["failed_examples"][:1]:
            lines.append(f"      e.g. {example[:90]}")
    lines.extend(_format_fields(summary))
    return "\n".join(lines)


def _format_fields(summary: dict[str, Any]) -> list[str]:
    """Buyer-voice field pass rates, per language, reason recall and failing examples."""
    fields: dict[str, dict[str, Any]] = summary.get("fields", {})
    if not fields:
        return []
    lines = [f"auto-pass (every applicable field holds): {summary.get('auto_pass', 0.0):.3f}",
             "buyer-voice fields (pass rate, n):"]
    for name, entry in fields.items():
        label = FIELD_LABELS.get(name, name)
        lines.append(f"  {label:<32} {entry['pass_rate']:.3f}  n={entry['n']}")
    per_lang: dict[str, dict[str, Any]] = summary.get("per_lang", {})
    if per_lang:
        lines.append("per language (auto-pass; weakest field):")
        for lang, entries in per_lang.items():
            auto = entries.get("auto_pass", {"pass_rate": 0.0, "n": 0})
            weakest = min(
                ((name, e) for name, e in entries.items() if name != "auto_pass"),
                key=lambda kv: kv[1]["pass_rate"], default=None,
            )
            note = "" if weakest is None else (
                f"; weakest {weakest[0]} {weakest[1]['pass_rate']:.3f}"
            )
            lines.append(f"  {lang:<4} {auto['pass_rate']:.3f}  n={auto['n']}{note}")
    recall: dict[str, dict[str, Any]] = summary.get("handoff_reason_recall", {})
    if recall:
        lines.append("hand-off reason recall: " + ", ".join(
            f"{reason} {entry['recall']:.3f} (n={entry['n']})" for reason, entry in recall.items()
        ))
    wrongly = summary.get("no_response_suggested_wrongly", 0)
    if wrongly:
        lines.append(f"'no response needed' suggested on {wrongly} message(s) that need one")
    for name, failures in summary.get("field_failures", {}).items():
        lines.append(f"failing {FIELD_LABELS.get(name, name)} ({len(failures)} shown):")
        for failure in failures:
            lines.append(f"  - {_clip(failure['text'], 80)}")
            lines.append(f"      {failure['why']}")
    return lines


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder for index.html and the plots.",
                                      file_okay=False)],
    from_dir: Annotated[
        Path | None,
        typer.Option("--from", help="Redraw from results saved by an earlier report run.",
                     file_okay=False),
    ] = None,
    datasets: DatasetsOption = DEFAULT_DATASETS_DIR,
    kb: KbOption = DEMO_KB_DIR,
    drafts_limit: Annotated[
        int | None,
        typer.Option("--drafts-limit", min=0,
                     help="Draft only the first N Bitext LLM rows (default: all; 0: none)."),
    ] = None,
) -> None:
    """Run the evals on the tuning dev pool and write index.html with PNG plots.

    Retrieval runs on Bitext dev + CLINC150 val + oos_val (with the baselines); drafting on
    the Bitext LLM file. Results are saved in OUT too (retrieval.json, outcomes.jsonl,
    drafts.json) so `--from OUT` can redraw without re-running.
    Example: draftdesk eval report --out report/
    """
    _offline()
    from evals.report import load_inputs, save_inputs, write_report

    if from_dir is not None:
        inputs = load_inputs(from_dir)
    else:
        inputs = _run_for_report(datasets, kb, drafts_limit)
        save_inputs(out, inputs)
    index = write_report(out, inputs)
    summary = inputs.retrieval
    typer.echo(format_retrieval(summary))
    if inputs.drafts is not None:
        typer.echo(format_drafts(inputs.drafts))
    typer.echo(f"wrote {index}")


def _run_for_report(datasets: Path, kb: Path, drafts_limit: int | None) -> ReportInputs:
    from evals.datasets import dev_queries, tuning_query_sets
    from evals.harness import eval_environment
    from evals.report import run_meta
    from evals.runs import evaluate_drafts, evaluate_retrieval

    retrieval_rows = dev_queries(datasets)
    draft_rows = tuning_query_sets(datasets)["bitext_llm.jsonl"].queries[:drafts_limit]
    with eval_environment(kb) as environment:
        with _progress("routing", quiet=False) as bar:
            run = evaluate_retrieval(environment, retrieval_rows, progress=bar)
        drafts_summary = None
        if draft_rows:
            with _progress("drafting", quiet=False) as bar:
                drafts_summary, _ = evaluate_drafts(environment, draft_rows, progress=bar)
    meta = run_meta(
        PACKAGE_ROOT, kb=str(kb),
        retrieval_queries="Bitext intent-detection dev + CLINC150 val + oos_val "
        f"({len(retrieval_rows)} after de-duplication)",
        drafts_queries=f"Bitext LLM file, {len(draft_rows)} rows",
    )
    return ReportInputs(retrieval=run.summary, outcomes=run.outcomes, drafts=drafts_summary,
                        meta=meta)
