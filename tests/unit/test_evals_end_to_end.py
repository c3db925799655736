"""A small end-to-end eval: a three-article KB ingested for real, drafting's router, the
baselines, drafting with checks, the CLI's clean errors and the report redraw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.cli import app
from evals.harness import eval_environment
from evals.queries import EvalQuery, read_queries, write_queries
from evals.report import ReportInputs, save_inputs
from evals.runs import evaluate_drafts, evaluate_retrieval
from ingest.embedder import SentenceTransformerEmbedder

ARTICLES = {
    "where-is-my-order.md": """---
title: Where is my order?
intents: [track_order, delivery_period]
questions:
  - Where is my parcel?
  - My order has not arrived yet.
  - Can I get the tracking number?
---

Every order ships within 1 business day with tracking. Open Your Orders and choose Track
package to see where it is. If tracking has not moved for 5 days, message us and we will
chase the carrier for you.
""",
    "returns-and-refunds.md": """---
title: Returns and refunds
intents: [get_refund, check_refund_policy, track_refund]
questions:
  - How do I return an item?
  - Can I get my money back?
  - The item arrived broken, I want a refund.
---

You can return any item within 30 days of delivery. Start the return in Your Orders; we
refund you within 2 business days of the return reaching us.
""",
    "payment-methods.md": """---
title: Ways to pay
intents: [check_payment_methods, payment_issue]
questions:
  - Which payment methods do you accept?
  - Can I pay with a gift card?
---

Checkout is handled by Amazon: you can pay with any card Amazon accepts, Amazon gift card
balance, or other payment methods shown at checkout.
""",
}

QUERIES = [
    EvalQuery(text="where is my parcel? it still hasn't arrived", intent="track_order",
              expect="answer", tags="BQ"),
    EvalQuery(text="the kettle came broken, I'd like my money back", intent="get_refund",
              expect="answer", tags="B"),
    EvalQuery(text="what payment methods can I use?", intent="check_payment_methods",
              expect="answer", tags="BI"),
    EvalQuery(text="what's the weather going to be in Paris tomorrow", intent=None,
              expect="handoff", slice="utility"),
    EvalQuery(text="set an alarm for 7 am please", intent=None, expect="handoff",
              slice="utility"),
]


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    for name, text in ARTICLES.items():
        (kb / name).write_text(text, encoding="utf-8")
    return kb


@pytest.mark.slow
def test_retrieval_and_drafts_end_to_end(
    tiny_kb: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    with eval_environment(tiny_kb, embedder=real_embedder) as environment:
        assert environment.data_dir.is_dir()
        run = evaluate_retrieval(environment, QUERIES)
        drafts, outcomes = evaluate_drafts(environment, QUERIES[:3])
        retriever = environment.pipeline.retriever
        features = run.outcomes[0].features
        # The recorded confidence is the retriever's own function of the recorded features.
        assert retriever.confidence(dict(features)) == pytest.approx(run.outcomes[0].confidence)
    assert not environment.data_dir.exists()  # the temporary data dir is gone

    summary = run.summary
    json.dumps(summary)  # the CLI prints exactly this object
    assert summary["n"] == 5
    assert summary["answer"]["n"] == 3 and summary["handoff"]["n"] == 2
    assert summary["answer"]["hit_at_1"] == 1.0
    assert summary["handoff"]["recall"] == 1.0
    assert set(summary["per_intent"]) == {"track_order", "get_refund", "check_payment_methods"}
    assert summary["latency_ms"]["p50"] > 0
    for name in ("bm25", "langchain_dense"):
        baseline = summary["baselines"][name]
        assert baseline["answer"]["n"] == 3
        assert baseline["handoff"]["recall"] == 0.0  # baselines always answer
        assert "at_oracle_threshold" in baseline

    assert drafts["n"] == 3
    assert drafts["cited_share"] == 1.0
    assert drafts["handoff_correct"] == 1.0
    assert all(o.valid_citations >= 1 for o in outcomes)
    assert set(drafts["checks"]) == {c.id for c in outcomes[0].draft.checks}

    # The report redraws from what a run saved.
    save_inputs(tmp_path / "saved", ReportInputs(
        retrieval=summary, outcomes=run.outcomes, drafts=drafts, meta={"commit": "test"}))
    result = CliRunner().invoke(
        app, ["report", "--out", str(tmp_path / "report"), "--from", str(tmp_path / "saved")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / "index.html").is_file()
    assert (tmp_path / "report" / "confidence.png").is_file()


def test_cli_errors_are_one_clean_line(tmp_path: Path, tiny_kb: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["retrieval", "--queries", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 1
    assert "query file not found" in missing.output
    assert "Traceback" not in missing.output

    queries = tmp_path / "q.jsonl"
    write_queries(queries, QUERIES[:1])
    assert read_queries(queries) == QUERIES[:1]
    no_kb = runner.invoke(
        app, ["drafts", "--queries", str(queries), "--kb", str(tmp_path / "no-kb")]
    )
    assert no_kb.exit_code != 0
    assert "Traceback" not in no_kb.output

    no_saved = runner.invoke(
        app, ["report", "--out", str(tmp_path / "r"), "--from", str(tmp_path / "nothing")]
    )
    assert no_saved.exit_code == 1
    assert "saved eval result not found" in no_saved.output
