"""The composition root's core: every long-lived client is built here once and handed out.

``create_app`` (bot/web), the CLI and the worker call :func:`build_services`; nothing else
constructs engines, indexes, embedders or chat models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.notifications import ReviewNotifier
from bot.conversations.service import Workflow, workflow_config
from bot.database import upgrade_to_head
from bot.drafting.interface import Drafter
from bot.drafting.pipeline import DraftingPipeline, build_pipeline
from bot.events import EventBus
from bot.settings import Settings
from ingest.embedder import Embedder, SentenceTransformerEmbedder
from ingest.index import ChromaIndex, SearchIndex
from ingest.pipeline import resync
from ingest.sync import SyncReport
from knowledge_base.db import make_engine, make_session_factory


@dataclass
class Services:
    """Long-lived clients shared by every request, command and worker of one process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    embedder: Embedder
    index: SearchIndex
    drafter: Drafter
    # The real pipeline (None when a test wires a fake drafter).
    pipeline: DraftingPipeline | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    # Live events (SSE) and review notifiers (Slack appends its own) — see bot/conversations.
    events: EventBus = field(default_factory=EventBus)
    notifiers: list[ReviewNotifier] = field(default_factory=list)

    @cached_property
    def workflow(self) -> Workflow:
        """Conversations, drafts and decisions (shared by the API, console, Slack, worker)."""
        return Workflow(
            session_factory=self.session_factory,
            drafter=self.drafter,
            events=self.events,
            notifiers=self.notifiers,
            config=workflow_config(self.settings),
        )

    def resync_index(self) -> SyncReport:
        """Bring the search index in line with the published KB (after any publish change)."""
        report = resync(
            session_factory=self.session_factory, index=self.index, embedder=self.embedder
        )
        if self.pipeline is not None:
            self.pipeline.retriever.refresh()
        return report

    def close(self) -> None:
        self.events.close()
        self.engine.dispose()


def build_index(settings: Settings) -> SearchIndex:
    """Chroma server when ``DRAFTDESK_CHROMA_URL`` is set, else embedded under the data dir."""
    if settings.chroma_url:
        return ChromaIndex.http(settings.chroma_url, collection=settings.chroma_collection)
    return ChromaIndex.persistent(settings.chroma_dir, collection=settings.chroma_collection)


def build_services(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    index: SearchIndex | None = None,
    chat_model: Any | None = None,
    drafter: Drafter | None = None,
    migrate: bool = True,
) -> Services:
    """Build every client once. Tests pass fakes or shared instances through the keywords."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade_to_head(engine)
    session_factory = make_session_factory(engine)
    index = index if index is not None else build_index(settings)
    embedder = embedder if embedder is not None else SentenceTransformerEmbedder()
    pipeline = None
    if drafter is None:
        pipeline = build_pipeline(
            settings=settings,
            index=index,
            embedder=embedder,
            session_factory=session_factory,
            chat_model=chat_model,
        )
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        embedder=embedder,
        index=index,
        drafter=drafter if drafter is not None else pipeline,  # type: ignore[arg-type]
        pipeline=pipeline,
    )
