"""The two evaluations behind ``draftdesk eval retrieval`` and ``draftdesk eval drafts``."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.drafting.interface import DraftRequest
from bot.facts import DraftReply
from evals.baselines import run_baselines
from evals.fields import FieldResult, auto_pass, fields_summary, score_fields
from evals.harness import EvalEnvironment, Progress, route_queries
from evals.metrics import QueryOutcome, mean, percentile, retrieval_summary
from evals.queries import EvalQuery


def machine_load() -> dict[str, Any]:
    """CPU count and load while measuring: latency figures mean little without them."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpus": os.cpu_count(), "load_avg_1m": round(load[0], 2)}


@dataclass
class RetrievalRun:
    """The EVAL.md summary and the per-query outcomes it was computed from."""

    summary: dict[str, Any]
    outcomes: list[QueryOutcome]


def evaluate_retrieval(
    environment: EvalEnvironment,
    queries: Sequence[EvalQuery],
    *,
    baselines: bool = True,
    progress: Progress | None = None,
) -> RetrievalRun:
    """Route every query through drafting's router; optionally score the baselines too."""
    pipeline = environment.pipeline
    outcomes = route_queries(pipeline, queries, progress=progress)
    summary = retrieval_summary(outcomes)
    summary["threshold"] = pipeline.router.threshold
    summary["machine"] = machine_load()
    if baselines:
        chunks = environment.services.index.all_chunks()
        summary["baselines"] = run_baselines(chunks, queries)
    return RetrievalRun(summary=summary, outcomes=outcomes)


@dataclass
class DraftOutcome:
    """One drafted query: the expectation and what the draft carried."""

    query: EvalQuery
    draft: DraftReply
    valid_citations: int
    latency_ms: float
    failed_checks: list[str] = field(default_factory=list)
    fields: list[FieldResult] = field(default_factory=list)  # buyer-voice fields (EVAL.md)

    @property
    def auto_pass(self) -> bool:
        return auto_pass(self.fields)

    def outcome_line(self) -> dict[str, Any]:
        """The ``--outcomes`` line: exactly ``draftdesk ask --json``'s object plus
        ``query_text``, ``handoff_reason`` and ``language``."""
        return outcome_line(self.query, self.draft)


def outcome_line(query: EvalQuery, draft: DraftReply) -> dict[str, Any]:
    """``draft.ask_json()`` plus the query text, the hand-off reason and the language."""
    return {
        **draft.ask_json(),
        "query_text": query.text,
        "handoff_reason": draft.handoff_reason,
        "language": draft.language,
    }


def valid_citation_count(draft: DraftReply, chunk_revisions: dict[str, tuple[str, int]]) -> int:
    """Citations whose chunk is in the index under the same article and revision."""
    return sum(
        1
        for c in draft.citations
        if chunk_revisions.get(c.chunk_id) == (c.article_id, c.revision)
    )


def drafts_summary(outcomes: Sequence[DraftOutcome], *, examples: int = 3) -> dict[str, Any]:
    """Pass rate per check, citations, hand-off correctness and ``ready_to_send``, then the
    buyer-voice fields (:func:`evals.fields.fields_summary`)."""
    per_check: dict[str, dict[str, Any]] = {}
    failures: dict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        for check in outcome.draft.checks:
            entry = per_check.setdefault(
                check.id,
                {"severity": check.severity, "n": 0, "passed": 0, "answer_n": 0,
                 "answer_passed": 0},
            )
            entry["n"] += 1
            entry["passed"] += int(check.passed)
            # Hand-off drafts skip most checks (reported as passed); answers are the real test.
            if not outcome.draft.handoff:
                entry["answer_n"] += 1
                entry["answer_passed"] += int(check.passed)
            if not check.passed and len(failures[check.id]) < examples:
                failures[check.id].append(outcome.query.text)
    for check_id, entry in per_check.items():
        entry["pass_rate"] = entry["passed"] / entry["n"] if entry["n"] else 0.0
        entry["answer_pass_rate"] = (
            entry["answer_passed"] / entry["answer_n"] if entry["answer_n"] else None
        )
        entry["failed_examples"] = failures.get(check_id, [])
    answers = [o for o in outcomes if not o.draft.handoff]
    latencies = [o.latency_ms for o in outcomes]
    fields = fields_summary([(o.query, o.draft, o.fields) for o in outcomes])
    failures_per_field = fields.pop("field_failures")
    # Headline numbers first (the JSON is often read with `head`); long lists last.
    return {
        "n": len(outcomes),
        "answer_drafts": len(answers),
        "handoff_drafts": len(outcomes) - len(answers),
        "cited_share": mean(float(o.valid_citations >= 1) for o in answers),
        "handoff_correct": mean(
            float(o.draft.handoff == (o.query.expect == "handoff")) for o in outcomes
        ),
        "ready_to_send": mean(float(not o.draft.blocking_failures) for o in outcomes),
        "blocking_failures": sum(len(o.draft.blocking_failures) for o in outcomes),
        **fields,
        "checks": dict(sorted(per_check.items())),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.5), 2),
            "p95": round(percentile(latencies, 0.95), 2),
        },
        "field_failures": failures_per_field,
    }


def evaluate_drafts(
    environment: EvalEnvironment,
    queries: Sequence[EvalQuery],
    *,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], list[DraftOutcome]]:
    """Draft a reply to every query with the real pipeline (offline composer) and check it."""
    pipeline = environment.pipeline
    chunk_revisions = {
        c.id: (c.article_id, c.revision) for c in environment.services.index.all_chunks()
    }
    outcomes: list[DraftOutcome] = []
    for number, query in enumerate(queries, start=1):
        started = time.perf_counter()
        # Evaluation acts for the seller: the orders a query names count as bound.
        draft = pipeline.draft(DraftRequest(buyer_messages=[query.text], for_seller=True))
        elapsed = (time.perf_counter() - started) * 1000.0
        outcomes.append(
            DraftOutcome(
                query=query,
                draft=draft,
                valid_citations=valid_citation_count(draft, chunk_revisions),
                latency_ms=elapsed,
                failed_checks=[c.id for c in draft.checks if not c.passed],
                fields=score_fields(query, draft),
            )
        )
        if progress is not None:
            progress(number, len(queries))
    summary = drafts_summary(outcomes)
    summary["composer"] = sorted({o.draft.composer for o in outcomes})
    summary["machine"] = machine_load()
    return summary, outcomes
