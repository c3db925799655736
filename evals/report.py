"""``draftdesk eval report``: saved eval results → PNG plots (matplotlib, Agg) + index.html."""

from __future__ import annotations

import html
import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.errors import DatasetInvalid, DatasetMissing
from evals.metrics import QueryOutcome
from knowledge_base.clock import utcnow

TAG_NAMES = {
    "B": "basic", "L": "lexical variation", "M": "morphological", "I": "interrogative",
    "C": "coordinated", "N": "negation", "E": "expanded contraction", "P": "polite",
    "Q": "colloquial", "K": "keyword-only", "W": "offensive", "Z": "typos / noise",
}
RETRIEVAL_FILE = "retrieval.json"
OUTCOMES_FILE = "outcomes.jsonl"
DRAFTS_FILE = "drafts.json"


@dataclass
class ReportInputs:
    """What a report is drawn from (as saved by a run, or read back from a folder)."""

    retrieval: dict[str, Any]
    outcomes: list[QueryOutcome]
    drafts: dict[str, Any] | None
    meta: dict[str, Any]


def save_inputs(out_dir: Path, inputs: ReportInputs) -> None:
    """Write the raw results next to the report so it can be redrawn with ``--from``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RETRIEVAL_FILE).write_text(
        json.dumps(inputs.retrieval | {"meta": inputs.meta}, indent=1), encoding="utf-8"
    )
    with (out_dir / OUTCOMES_FILE).open("w", encoding="utf-8") as handle:
        for outcome in inputs.outcomes:
            handle.write(json.dumps(outcome.as_json(), ensure_ascii=False) + "\n")
    if inputs.drafts is not None:
        (out_dir / DRAFTS_FILE).write_text(json.dumps(inputs.drafts, indent=1), encoding="utf-8")


def load_inputs(from_dir: Path) -> ReportInputs:
    """Read results saved by an earlier report run (``drafts.json`` is optional)."""
    retrieval_path = from_dir / RETRIEVAL_FILE
    outcomes_path = from_dir / OUTCOMES_FILE
    for path in (retrieval_path, outcomes_path):
        if not path.is_file():
            raise DatasetMissing(f"saved eval result not found: {path}")
    try:
        retrieval = json.loads(retrieval_path.read_text(encoding="utf-8"))
        outcomes = [
            QueryOutcome.from_json(json.loads(line))
            for line in outcomes_path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        drafts_path = from_dir / DRAFTS_FILE
        drafts = (
            json.loads(drafts_path.read_text(encoding="utf-8")) if drafts_path.is_file() else None
        )
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetInvalid(f"saved eval results in {from_dir} are malformed: {exc}") from exc
    meta = retrieval.pop("meta", {})
    return ReportInputs(retrieval=retrieval, outcomes=outcomes, drafts=drafts, meta=meta)


def current_commit(repo_dir: Path) -> str:
    """The git commit the code came from (``+dirty`` with uncommitted changes), or unknown."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=repo_dir, capture_output=True,
            text=True, check=True, timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "bot", "evals",
             "ingest", "knowledge_base"],
            cwd=repo_dir, capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def run_meta(repo_dir: Path, **extra: Any) -> dict[str, Any]:
    return {
        "commit": current_commit(repo_dir),
        "generated_at": utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        **extra,
    }


# --- plots ----------------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _barh(path: Path, labels: Sequence[str], values: Sequence[float], *, title: str,
          xlabel: str, xlim: tuple[float, float] | None = None,
          colors: Sequence[str] | None = None, annotate: Sequence[str] | None = None) -> None:
    plt = _pyplot()
    height = max(2.5, 0.32 * len(labels) + 1.2)
    figure, axes = plt.subplots(figsize=(8, height))
    positions = list(range(len(labels)))
    axes.barh(positions, values, color=colors or "#3b6ea8")
    axes.set_yticks(positions, labels=labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    if xlim is not None:
        axes.set_xlim(*xlim)
    span = (xlim[1] - xlim[0]) if xlim else max([*values, 1e-9])
    for position, value, text in zip(positions, values, annotate or [], strict=False):
        # Inside the bar's end when it is long enough, else just after it.
        inside = value > 0.3 * span
        axes.text(value - 0.01 * span if inside else value + 0.01 * span, position, text,
                  va="center", ha="right" if inside else "left", fontsize=7,
                  color="white" if inside else "black")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_hit_per_topic(path: Path, per_intent: dict[str, dict[str, Any]]) -> None:
    """Hit@1 per answer topic, worst first (n beside each bar)."""
    items = sorted(per_intent.items(), key=lambda kv: (kv[1]["hit_at_1"], kv[0]))
    _barh(path, [t for t, _ in items], [v["hit_at_1"] for _, v in items],
          title="Hit@1 per topic (answer queries)", xlabel="Hit@1", xlim=(0.0, 1.0),
          annotate=[f"{v['hit_at_1']:.3f}  n={v['n']}" for _, v in items])


def plot_confusions(path: Path, confusions: Sequence[dict[str, Any]]) -> None:
    """The most frequent (expected → answered instead) pairs among answer-query misses."""
    labels = [f"{c['expected']} → {c['got']}" for c in confusions] or ["(no misses)"]
    values = [float(c["count"]) for c in confusions] or [0.0]
    _barh(path, labels, values, title="Most confused topic pairs (misses)",
          xlabel="queries", colors=["#b5553c"] * len(values),
          annotate=[str(int(v)) for v in values])


def plot_confidence(path: Path, outcomes: Sequence[QueryOutcome], threshold: float) -> None:
    """Confidence histograms of answer vs hand-off queries, with the hand-off threshold."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 4))
    bins = [i / 40 for i in range(41)]
    answer = [o.confidence for o in outcomes if o.expect == "answer"]
    handoff = [o.confidence for o in outcomes if o.expect == "handoff"]
    axes.hist(handoff, bins=bins, alpha=0.6, label=f"hand-off expected (n={len(handoff)})",
              color="#b5553c")
    axes.hist(answer, bins=bins, alpha=0.6, label=f"answer expected (n={len(answer)})",
              color="#3b6ea8")
    axes.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
    axes.set_yscale("log")
    axes.set_xlabel("retrieval confidence")
    axes.set_ylabel("queries (log scale)")
    axes.set_title("Confidence: answer vs hand-off messages")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_hit_per_tag(path: Path, per_tag: dict[str, dict[str, Any]]) -> None:
    """Hit@1 per Bitext language-variation tag."""
    items = sorted(per_tag.items(), key=lambda kv: kv[1]["hit_at_1"])
    _barh(path, [f"{k} — {TAG_NAMES.get(k, '?')}" for k, _ in items],
          [v["hit_at_1"] for _, v in items], title="Hit@1 per Bitext language tag",
          xlabel="Hit@1", xlim=(0.0, 1.0),
          annotate=[f"{v['hit_at_1']:.3f}  n={v['n']}" for _, v in items])


def plot_checks(path: Path, checks: dict[str, dict[str, Any]]) -> None:
    """Pass rate per reply check (red: blocking checks, grey: warnings)."""
    items = sorted(checks.items(), key=lambda kv: (kv[1]["pass_rate"], kv[0]))
    _barh(path, [k for k, _ in items], [v["pass_rate"] for _, v in items],
          title="Reply check pass rates, all drafts (red: blocking, grey: warning)",
          xlabel="pass rate",
          xlim=(0.0, 1.0),
          colors=["#b5553c" if v["severity"] == "block" else "#8a8a8a" for _, v in items],
          annotate=[f"{v['pass_rate']:.3f}" for _, v in items])


# --- HTML -----------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        return html.escape("–" if value is None else str(value))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _retrieval_rows(summary: dict[str, Any]) -> list[list[Any]]:
    columns: list[tuple[str, dict[str, Any]]] = [("draftdesk", summary)]
    for name, result in summary.get("baselines", {}).items():
        columns.append((name + " (always answers)", result))
        if "at_oracle_threshold" in result:
            columns.append((name + " (oracle cut)", result["at_oracle_threshold"]))
    return [
        [name, r["answer"]["hit_at_1"], r["answer"]["hit_at_3"], r["answer"]["mrr"],
         r["answer"]["false_handoff_rate"], r["handoff"]["recall"],
         r.get("latency_ms", {}).get("p50"), r.get("latency_ms", {}).get("p95")]
        for name, r in columns
    ]


def write_report(out_dir: Path, inputs: ReportInputs) -> Path:
    """Draw the plots and write ``index.html``; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = inputs.retrieval
    threshold = float(summary.get("threshold") or 0.5)
    plot_hit_per_topic(out_dir / "hit_per_topic.png", summary["per_intent"])
    plot_confusions(out_dir / "confusions.png", summary["confusions"])
    plot_confidence(out_dir / "confidence.png", inputs.outcomes, threshold)
    plot_hit_per_tag(out_dir / "hit_per_tag.png", summary["per_tag"])
    plots = ["hit_per_topic.png", "confusions.png", "confidence.png", "hit_per_tag.png"]
    drafts_html = "<p>No drafts evaluated in this run.</p>"
    if inputs.drafts is not None:
        plot_checks(out_dir / "checks.png", inputs.drafts["checks"])
        plots.append("checks.png")
        d = inputs.drafts
        drafts_html = (
            f"<p>{d['n']} drafts ({d['answer_drafts']} answers, {d['handoff_drafts']} hand-offs)"
            f" of <code>{html.escape(str(inputs.meta.get('drafts_queries', '')))}</code>.</p>"
            + _table(["measure", "value"], [
                ["answer drafts citing ≥ 1 valid article", d["cited_share"]],
                ["hand-off decided as expected", d["handoff_correct"]],
                ["ready to send (no blocking failure)", d["ready_to_send"]],
                ["blocking failures (total)", d["blocking_failures"]],
            ])
            + _table(["check", "severity", "pass rate", "on answer drafts", "failed e.g."], [
                [k, v["severity"], v["pass_rate"], v.get("answer_pass_rate"),
                 " | ".join(v["failed_examples"][:2])]
                for k, v in d["checks"].items()
            ])
        )
    meta = inputs.meta
    answer, handoff = summary["answer"], summary["handoff"]
    slices = summary.get("handoff_by_slice", {})
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>draftdesk eval report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; }}
img {{ max-width: 100%; border: 1px solid #eee; margin: 0.5rem 0; }}
code {{ background: #f4f4f4; padding: 0 0.2rem; }}
</style></head><body>
<h1>draftdesk — evaluation report</h1>
<p>Commit <code>{html.escape(str(meta.get('commit', 'unknown')))}</code>,
{html.escape(str(meta.get('generated_at', '')))}; retrieval queries:
<code>{html.escape(str(meta.get('retrieval_queries', '')))}</code>; KB:
<code>{html.escape(str(meta.get('kb', '')))}</code>. Machine while measuring:
{html.escape(json.dumps(summary.get('machine', {})))}.
Third-party synthetic data: a regression gate, not a production claim.</p>
<h2>Retrieval and hand-off</h2>
<p>{summary['n']} queries — {answer['n']} expect an answer, {handoff['n']} a hand-off.
Hand-off threshold {threshold:.2f}.</p>
{_table(["system", "Hit@1", "Hit@3", "MRR", "false hand-off", "hand-off recall",
         "p50 ms", "p95 ms"], _retrieval_rows(summary))}
<p>Baselines have no hand-off decision: "always answers" scores them as they come;
"oracle cut" gives each the single score threshold that reaches 95% hand-off recall
<em>on this very file</em> (draftdesk's threshold was fixed beforehand).</p>
<h2>Plots</h2>
{''.join(f'<img src="{p}" alt="{html.escape(p[:-4].replace("_", " "))}">' for p in plots)}
<h2>Hand-off recall by group</h2>
{_table(["group", "n", "recall"], [[k, v["n"], v["recall"]] for k, v in slices.items()])}
<h2>Drafts and reply checks</h2>
{drafts_html}
</body></html>
"""
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
