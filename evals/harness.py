"""Running draftdesk itself on query files: a throw-away data dir, the real ingest, the real
router and drafting pipeline (no eval-only path).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.drafting.pipeline import DraftingPipeline
from bot.orders import OrderImportReport, import_orders_file, load_demo_orders
from bot.policy import load_policy
from bot.services import Services, build_services
from bot.settings import DEMO_KB_DIR, Settings
from evals.errors import EvalError
from evals.metrics import QueryOutcome
from evals.queries import EvalQuery
from ingest.embedder import Embedder
from ingest.pipeline import ingest_paths
from knowledge_base.db import transaction

# The router only cuts its ranked list at k; a longer list changes no decision and lets
# Hit@3 and MRR look past the handful of articles a draft uses.
EVAL_TOP_K = 10
WARM_UP_TEXTS = ("where is my order?", "can I return this?", "what's the weather today?")
DEMO_ORDERS = "demo"
NO_ORDERS = "none"
SELLER_POLICY = Path("_seller") / "policy.yaml"

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
    kb_dir: Path = DEMO_KB_DIR,
    *,
    embedder: Embedder | None = None,
    settings_overrides: Mapping[str, object] | None = None,
    calibrate: bool = True,
    **overrides: object,
) -> Iterator[EvalEnvironment]:
    """Ingest ``kb_dir`` into a temporary data dir through ``draftdesk ingest``'s functions.

    ``settings_overrides`` and ``overrides`` are passed to :func:`eval_settings` (e.g.
    :func:`seller_overrides`' policy file and seller name).
    """
    if not kb_dir.is_dir():
        raise EvalError(f"knowledge-base folder not found: {kb_dir}")
    values = {**(settings_overrides or {}), **overrides}
    with tempfile.TemporaryDirectory(prefix="draftdesk-eval-") as tmp:
        data_dir = Path(tmp)
        services = build_services(eval_settings(data_dir, **values), embedder=embedder)
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
            if calibrate:
                # As `draftdesk ingest` does: a new KB gets its own answer/hand-off bar.
                services.calibrate_if_changed(
                    changed=report.embedded + report.deleted, total=report.chunks
                )
            yield environment
        finally:
            services.close()


def seller_overrides(kb_dir: Path, policy_file: Path | None = None) -> dict[str, object]:
    """Settings overrides for the seller whose KB is evaluated.

    The policy is ``policy_file``, else ``KB/_seller/policy.yaml`` when it exists, else the
    settings default; ``seller_name`` (and the signature "The … team") come from that file's
    ``seller_name`` when it sets one. The file is validated here, so a bad one fails early.
    """
    path = policy_file
    if path is None and (kb_dir / SELLER_POLICY).is_file():
        path = kb_dir / SELLER_POLICY
    if path is None:
        return {}
    rules = load_policy(path)
    overrides: dict[str, object] = {"policy_file": path}
    if "seller_name" in rules.model_fields_set:
        overrides["seller_name"] = rules.seller_name
        overrides["signature"] = f"The {rules.seller_name} team"
    return overrides


def check_orders_source(orders: str | Path) -> None:
    """Refuse an order file that does not exist, before anything slow is done."""
    if str(orders) in {DEMO_ORDERS, NO_ORDERS}:
        return
    if not Path(orders).is_file():
        raise EvalError(f"order file not found: {orders} (or use --orders demo|none)")


def load_orders(
    environment: EvalEnvironment, orders: str | Path, *, today: date | None = None
) -> OrderImportReport | None:
    """Store orders in the environment's database as ``draftdesk orders`` would.

    ``"demo"``: the demo orders dated relative to ``today`` (``orders load-demo``);
    ``"none"``: no orders; anything else: an order file (``orders import``: good orders are
    stored, rows that cannot be read are listed in the report's ``failed``). A file that
    cannot be read at all raises the orders package's error.
    """
    if str(orders) == NO_ORDERS:
        return None
    with transaction(environment.services.session_factory) as session:
        if str(orders) == DEMO_ORDERS:
            return load_demo_orders(session, today=today or date.today())
        return import_orders_file(session, path=Path(orders))


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
                article=query.article,
                alt_articles=tuple(query.alt_articles),
                ranked_articles=tuple(a.article_id for a in routing.retrieval.articles),
            )
        )
        if progress is not None:
            progress(number, len(queries))
    return outcomes


