"""Running draftdesk itself on query files: a throw-away data dir, the real ingest, the real
router and drafting pipeline (no eval-only path).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bot.drafting.pipeline import DraftingPipeline
from bot.retrieval import HybridRetriever
from bot.services import Services, build_services
from bot.settings import DEMO_KB_DIR, Settings
from evals.errors import EvalError
from evals.metrics import QueryOutcome
from evals.queries import EvalQuery
from ingest.embedder import Embedder
from ingest.pipeline import ingest_paths

# The router only cuts its ranked list at k; a longer list changes no decision and lets
# Hit@3 and MRR look past the handful of articles a draft uses.
EVAL_TOP_K = 10
WARM_UP_TEXTS = ("where is my order?", "can I return this?", "what's the weather today?")

Progress = Callable[[int, int], None]


@dataclass
class EvalEnvironment:
    """Real services over a fresh SQLite + Chroma data dir holding one ingested KB."""

    services: Services
    kb_dir: Path
    data_dir: Path

    @property
    def pipeline(self) -> DraftingPipeline:
        if self.services.pipeline is None:
            raise EvalError("the drafting pipeline is not wired")
        return self.services.pipeline


def eval_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for an isolated run: never a configured database, Chroma server or LLM."""
    values: dict[str, object] = {
        "data_dir": data_dir, "database_url": None, "chroma_url": None, "llm": None,
        "retrieval_top_k": EVAL_TOP_K,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@contextmanager
def eval_environment(
    kb_dir: Path = DEMO_KB_DIR, *, embedder: Embedder | None = None, **overrides: object
) -> Iterator[EvalEnvironment]:
    """Ingest ``kb_dir`` into a temporary data dir through ``draftdesk ingest``'s functions."""
    if not kb_dir.is_dir():
        raise EvalError(f"knowledge-base folder not found: {kb_dir}")
    with tempfile.TemporaryDirectory(prefix="draftdesk-eval-") as tmp:
        data_dir = Path(tmp)
        services = build_services(eval_settings(data_dir, **overrides), embedder=embedder)
        try:
            report = ingest_paths(
                [kb_dir],
                session_factory=services.session_factory,
                index=services.index,
                embedder=services.embedder,
            )
            if report.failed:
                first = report.failed[0]
                raise EvalError(f"ingesting {kb_dir} failed: {first.path}: {first.error}")
            if report.articles == 0:
                raise EvalError(f"no articles found in {kb_dir}")
            environment = EvalEnvironment(services=services, kb_dir=kb_dir, data_dir=data_dir)
            environment.pipeline.retriever.refresh()
            yield environment
        finally:
            services.close()


def route_queries(
    pipeline: DraftingPipeline,
    queries: Sequence[EvalQuery],
    *,
    progress: Progress | None = None,
) -> list[QueryOutcome]:
    """Run the router drafting uses on every query and record what it decided."""
    for text in WARM_UP_TEXTS:
        pipeline.route(text)
    outcomes: list[QueryOutcome] = []
    for number, query in enumerate(queries, start=1):
        started = time.perf_counter()
        routing = pipeline.route(query.text)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        outcomes.append(
            QueryOutcome(
                text=query.text,
                intent=query.intent,
                expect=query.expect,
                handoff=routing.handoff,
                handoff_reason=routing.handoff_reason,
                ranked_intents=tuple(tuple(a.intents) for a in routing.retrieval.articles),
                confidence=routing.confidence,
                latency_ms=elapsed_ms,
                tags=query.tags,
                slice=query.slice,
                predicted_topic=routing.understanding.topic,
                features=dict(routing.retrieval.features),
            )
        )
        if progress is not None:
            progress(number, len(queries))
    return outcomes


def retriever_confidence(
    retriever: HybridRetriever,
) -> Callable[[Mapping[str, float], Mapping[str, float]], float]:
    """The retriever's own ``confidence`` as if its calibration had ``values`` (for fitting)."""

    def confidence(values: Mapping[str, float], features: Mapping[str, float]) -> float:
        saved = retriever.calibration
        retriever.calibration = replace(saved, **values)
        try:
            return retriever.confidence(dict(features))
        finally:
            retriever.calibration = saved

    return confidence
