"""Helpers for the KB editor's web and browser tests (issue 6).

The demo KB is embedded once per test session (the slow part, ~10–30 s on two cores); each
test then gets its own copy of the database and of the index, so tests can publish, edit and
delete freely without seeing each other.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.database import upgrade_to_head
from bot.services import Services, build_services
from bot.settings import Settings
from ingest.embedder import Embedder, Vectors
from ingest.index import IndexedChunk
from ingest.pipeline import load_sources, store_articles
from ingest.sync import chunks_for
from knowledge_base import repository as kb
from knowledge_base.db import make_engine, make_session_factory, transaction
from tests.fakes import InMemoryIndex

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_ARTICLES = REPO_ROOT / "knowledge_base" / "demo" / "articles"
SECRET = "kb-editor-test-secret-0123456789abcdef"

# An article about something the demo KB does not cover: collecting an order in person.
# (Before it exists, the demo KB answers this question with the order-status article.)
NEW_TOPIC_BODY = (
    "You can collect your order in person from our Leeds warehouse, free of charge. Choose "
    "Click and collect at checkout and bring your order number; collection is Monday to "
    "Friday, 9am to 5pm.\n\n## Before you come\nWait for the e-mail that says your order "
    "is ready. We keep it for 14 days.\n"
)
NEW_TOPIC: dict[str, Any] = {
    "title": "Collecting your order in person",
    "body": NEW_TOPIC_BODY,
    "intents": ["delivery_options"],
    "questions": [
        "Can I collect my order in person from your warehouse?",
        "Do you offer click and collect?",
        "Can I pick up my order instead of having it delivered?",
    ],
    "tags": ["collection"],
}
NEW_TOPIC_QUESTION = "Can I collect my order in person from your warehouse?"


@dataclass(frozen=True)
class DemoTemplate:
    """A migrated SQLite file holding the published demo KB, and its embedded chunks."""

    database: Path
    chunks: list[IndexedChunk]
    vectors: Vectors


_TEMPLATE: dict[str, DemoTemplate] = {}


def demo_template(embedder: Embedder, directory: Path) -> DemoTemplate:
    """Build (once per session) the demo KB database and its chunk vectors."""
    if "demo" in _TEMPLATE:
        return _TEMPLATE["demo"]
    database = directory / "demo-kb.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    loaded, failed = load_sources([DEMO_ARTICLES])
    assert not failed, failed
    with transaction(factory) as session:
        store_articles(session, articles=loaded, actor="demo", publish=True)
        published = kb.published_revisions(session)
    engine.dispose()
    chunks = [chunk for revision in published for chunk in chunks_for(revision)]
    vectors = embedder.embed([chunk.text for chunk in chunks])
    _TEMPLATE["demo"] = DemoTemplate(database=database, chunks=chunks, vectors=vectors)
    return _TEMPLATE["demo"]


def demo_services(
    template: DemoTemplate, *, embedder: Embedder, directory: Path, worker_in_process: bool,
    **settings: Any,
) -> Services:
    """Real services (real pipeline and model) on a private copy of the demo KB."""
    database = directory / "draftdesk.sqlite3"
    shutil.copyfile(template.database, database)
    index = InMemoryIndex()
    index.upsert(template.chunks, template.vectors)
    config = Settings(
        environment="test", data_dir=directory / "data", database_url=f"sqlite:///{database}",
        worker_in_process=worker_in_process, worker_poll_seconds=0.05,
        secret_key=SECRET,  # type: ignore[arg-type]
        **settings,
    )
    return build_services(config, embedder=embedder, index=index, migrate=False)

