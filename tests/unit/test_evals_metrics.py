"""Eval metrics and the report, with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.facts import CheckResult, Citation, DraftReply
from evals.metrics import (
    QueryOutcome,
    answer_metrics,
    confusions,
    handoff_by_slice,
    handoff_metrics,
    lowest_threshold_for_recall,
    per_intent,
    per_tag,
    percentile,
    retrieval_summary,
)
from evals.queries import EvalQuery
from evals.report import ReportInputs, load_inputs, save_inputs, write_report
from evals.runs import DraftOutcome, drafts_summary, valid_citation_count

REFUND = ("get_refund", "check_refund_policy")
TRACK = ("track_order",)
CANCEL = ("cancel_order",)


def answer(intent: str, ranked: tuple[tuple[str, ...], ...], *, handoff: bool = False,
           tags: str | None = None) -> QueryOutcome:
    return QueryOutcome(text=f"q {intent}", intent=intent, expect="answer", handoff=handoff,
                        ranked_intents=ranked, tags=tags, confidence=0.2 if handoff else 0.9,
                        handoff_reason="low_confidence" if handoff else None)


def handoff_query(*, handed_off: bool, slice_: str = "oos", intent: str | None = None,
                  reason: str | None = "out_of_scope") -> QueryOutcome:
    return QueryOutcome(text="q", intent=intent, expect="handoff", handoff=handed_off,
                        slice=slice_, handoff_reason=reason if handed_off else None,
                        confidence=0.1 if handed_off else 0.8)


def sample() -> list[QueryOutcome]:
    return [
        answer("get_refund", (REFUND, TRACK), tags="BQ"),         # rank 1
        answer("track_order", (REFUND, TRACK, CANCEL), tags="BZ"),  # rank 2
        answer("cancel_order", (REFUND, TRACK, CANCEL), tags="BQ"),  # rank 3
        answer("track_order", (TRACK,), handoff=True, tags="B"),   # handed off: miss
        handoff_query(handed_off=True),
        handoff_query(handed_off=False, slice_="small_talk"),
        handoff_query(handed_off=True, intent="complaint", slice_="tier_C",
                      reason="person_requested"),
    ]


def test_rank_ignores_hand_offs_and_missing_topics() -> None:
    outcomes = sample()
    assert [o.rank for o in outcomes[:4]] == [1, 2, 3, None]
    assert answer("review", (REFUND,)).rank is None


def test_answer_metrics_by_hand() -> None:
    metrics = answer_metrics(sample())

    assert metrics["n"] == 4
    assert metrics["hit_at_1"] == pytest.approx(1 / 4)
    assert metrics["hit_at_3"] == pytest.approx(3 / 4)
    assert metrics["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 0) / 4)
    assert metrics["false_handoff_rate"] == pytest.approx(1 / 4)


def test_handoff_metrics_and_slices() -> None:
    assert handoff_metrics(sample()) == {"n": 3, "recall": pytest.approx(2 / 3)}
    assert handoff_by_slice(sample()) == {
        "complaint": {"n": 1, "recall": 1.0},
        "oos": {"n": 1, "recall": 1.0},
        "small_talk": {"n": 1, "recall": 0.0},
    }


def test_per_intent_and_per_tag() -> None:
    assert per_intent(sample()) == {
        "cancel_order": {"n": 1, "hit_at_1": 0.0},
        "get_refund": {"n": 1, "hit_at_1": 1.0},
        "track_order": {"n": 2, "hit_at_1": 0.0},
    }
    tags = per_tag(sample())
    assert tags["B"] == {"n": 4, "hit_at_1": 0.25}
    assert tags["Q"] == {"n": 2, "hit_at_1": 0.5}
    assert tags["Z"] == {"n": 1, "hit_at_1": 0.0}


def test_confusions_count_what_was_answered_instead() -> None:
    assert confusions(sample()) == [
        {"expected": "cancel_order", "got": "get_refund", "count": 1},
        {"expected": "track_order", "got": "(hand-off)", "count": 1},
        {"expected": "track_order", "got": "get_refund", "count": 1},
    ]


def test_percentile_interpolates() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([10.0], 0.95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(2.5)
    assert percentile([0.0, 10.0], 0.95) == pytest.approx(9.5)


def test_summary_has_the_eval_md_shape() -> None:
    summary = retrieval_summary(sample())

    assert summary["n"] == 7
    assert set(summary["answer"]) == {"n", "hit_at_1", "hit_at_3", "mrr", "false_handoff_rate"}
    assert set(summary["handoff"]) == {"n", "recall"}
    assert set(summary["latency_ms"]) == {"p50", "p95"}
    assert summary["per_intent"]["get_refund"] == {"n": 1, "hit_at_1": 1.0}


def test_outcome_json_round_trip() -> None:
    outcome = sample()[1]
    assert QueryOutcome.from_json(outcome.as_json()) == outcome


def test_oracle_threshold_reaches_the_recall() -> None:
    scores = [0.1, 0.2, 0.3, 0.4]
    cut = lowest_threshold_for_recall(scores, recall=0.75)
    assert cut is not None
    assert sum(s < cut for s in scores) == 3
    assert 0.3 < cut < 0.4
    assert lowest_threshold_for_recall([], recall=0.95) is None


def draft(*, handoff: bool, blocking: bool, citation: Citation | None) -> DraftReply:
    checks = [
        CheckResult(id="no_email", severity="block", passed=not blocking, message="m"),
        CheckResult(id="greeting", severity="warn", passed=True, message="m"),
    ]
    return DraftReply(text="Hi there,", handoff=handoff, confidence=0.5, checks=checks,
                      citations=[citation] if citation else [])


def test_drafts_summary_by_hand() -> None:
    good = Citation(article_id="returns", revision=1, title="Returns", chunk_id="returns:1:0")
    stale = Citation(article_id="returns", revision=0, title="Returns", chunk_id="returns:0:0")
    index = {"returns:1:0": ("returns", 1)}
    query = EvalQuery(text="refund?", intent="get_refund", expect="answer")
    joke = EvalQuery(text="joke", intent=None, expect="handoff")
    outcomes = [
        DraftOutcome(query, draft(handoff=False, blocking=False, citation=good),
                     valid_citation_count(draft(handoff=False, blocking=False, citation=good),
                                          index), 10.0),
        DraftOutcome(query, draft(handoff=False, blocking=True, citation=stale), 0, 20.0),
        DraftOutcome(joke, draft(handoff=True, blocking=False, citation=None), 0, 30.0),
    ]

    summary = drafts_summary(outcomes)

    assert summary["n"] == 3
    assert summary["cited_share"] == pytest.approx(1 / 2)
    assert summary["handoff_correct"] == 1.0
    assert summary["ready_to_send"] == pytest.approx(2 / 3)
    assert summary["blocking_failures"] == 1
    assert summary["checks"]["no_email"]["pass_rate"] == pytest.approx(2 / 3)
    assert summary["checks"]["no_email"]["answer_pass_rate"] == pytest.approx(1 / 2)
    assert summary["checks"]["no_email"]["failed_examples"] == ["refund?"]
    assert summary["latency_ms"] == {"p50": 20.0, "p95": 29.0}


def test_report_writes_html_and_plots_and_redraws_from_saved(tmp_path: Path) -> None:
    summary = retrieval_summary(sample())
    summary["threshold"] = 0.5
    drafts = {
        "n": 1, "answer_drafts": 1, "handoff_drafts": 0, "cited_share": 1.0,
        "handoff_correct": 1.0, "ready_to_send": 1.0, "blocking_failures": 0,
        "checks": {"no_email": {"severity": "block", "n": 1, "passed": 1, "pass_rate": 1.0,
                                "failed_examples": []}},
        "latency_ms": {"p50": 1.0, "p95": 1.0},
    }
    inputs = ReportInputs(retrieval=summary, outcomes=sample(), drafts=drafts,
                          meta={"commit": "abc1234"})
    save_inputs(tmp_path / "run", inputs)

    index = write_report(tmp_path / "report", load_inputs(tmp_path / "run"))

    page = index.read_text(encoding="utf-8")
    assert "abc1234" in page
    for png in ("hit_per_topic", "confusions", "confidence", "hit_per_tag", "checks"):
        path = tmp_path / "report" / f"{png}.png"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="{png}.png"' in page
