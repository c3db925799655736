"""``draftdesk eval …``: thin typer commands over the evals library functions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from bot.settings import PACKAGE_ROOT
from bot.understanding.topics import DEFAULT_MODEL_PATH
from evals.errors import EvalError

DEFAULT_DATASETS_DIR = PACKAGE_ROOT.parent / "shared" / "datasets"

app = typer.Typer(
    name="eval",
    help="Measure draftdesk on third-party data (see evals/README.md).",
    no_args_is_help=True,
    add_completion=False,
)

DatasetsOption = Annotated[
    Path,
    typer.Option(
        "--datasets",
        help="The shared datasets folder (see its README).",
        file_okay=False,
    ),
]


def _fail(error: EvalError) -> typer.Exit:
    typer.secho(f"error: {error.message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


@app.command("convert")
def convert(
    out: Annotated[Path, typer.Option("--out", help="Folder for the JSONL query files.")],
    datasets: DatasetsOption = DEFAULT_DATASETS_DIR,
) -> None:
    """Convert the tuning splits of the shared datasets to EVAL.md query files.

    Example: draftdesk eval convert --out var/evals
    """
    from evals.datasets import convert_all

    try:
        written = convert_all(datasets, out)
    except EvalError as error:
        raise _fail(error) from None
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

    try:
        pool = load_topic_pool(datasets)
        probes = read_probes()
    except EvalError as error:
        raise _fail(error) from None
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
