"""Real drafting services on the demo KB plus some of its translations (issue 13), on any
test database (SQLite or PostgreSQL).

Embedding the English demo KB with a translation takes a minute or more on two cores, so the
chunk vectors (by text) and the fitted answer/hand-off bars are kept for the test session:
the first services embed and calibrate, later ones (another database backend, another
test) only store the articles and copy the index. The index is the in-memory one of
``tests/fakes.py`` (exact cosine search, the SearchIndex contract), as in the KB-editor
browser tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Browser, Page

from bot.orders import load_demo_orders
from bot.services import Services, build_services
from bot.settings import Settings
from bot.web.app import create_app
from ingest.embedder import Embedder
from ingest.pipeline import load_sources, store_articles
from ingest.sync import chunks_for
from knowledge_base import repository as kb
from knowledge_base.db import transaction
from tests.conftest import DEMO_ENGLISH, DEMO_TRANSLATIONS
from tests.factories import add_user
from tests.fakes import InMemoryIndex
from tests.workflow_support import LiveServer

SECRET = "translated-kb-test-secret-0123456789abcdef"

# Chunk text -> its vector; (locales) -> the index metadata holding the fitted bars.
_VECTORS: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
_CALIBRATIONS: dict[tuple[str, ...], dict[str, str]] = {}


def kb_paths(locales: Sequence[str]) -> list[Path]:
    """The English originals and the translations into ``locales``."""
    return [DEMO_ENGLISH, *(DEMO_TRANSLATIONS / locale for locale in locales)]


def translated_services(
    *,
    embedder: Embedder,
    database_url: str,
    directory: Path,
    locales: Sequence[str] = ("de",),
    **settings: Any,
) -> Services:
    """Real services (real pipeline, real model) on ``database_url`` — an empty, migrated
    database — with the demo KB and its ``locales`` translations published and indexed,
    and the KB calibrated as ``draftdesk ingest`` would."""
    loaded, failed = load_sources(kb_paths(locales))
    assert not failed, failed
    config = Settings(
        environment="test",
        data_dir=directory / "data",
        database_url=database_url,
        secret_key=SECRET,  # type: ignore[arg-type]
        **settings,
    )
    index = InMemoryIndex()
    services = build_services(config, embedder=embedder, index=index, migrate=False)
    try:
        with transaction(services.session_factory) as session:
            _, refused = store_articles(session, articles=loaded, actor="demo", publish=True)
            assert not refused, refused
            published = kb.published_revisions(session)
        chunks = [chunk for revision in published for chunk in chunks_for(revision)]
        missing = list(dict.fromkeys(c.text for c in chunks if c.text not in _VECTORS))
        if missing:
            _VECTORS.update(zip(missing, embedder.embed(missing), strict=True))
        index.upsert(chunks, np.asarray([_VECTORS[c.text] for c in chunks], dtype=np.float32))
        key = tuple(sorted(locales))
        if key in _CALIBRATIONS:
            for name, value in _CALIBRATIONS[key].items():
                index.write_metadata(name, value)
        else:
            services.calibrate_kb()
            _CALIBRATIONS[key] = dict(index._metadata)
        if services.pipeline is not None:
            services.pipeline.retriever.refresh()
    except BaseException:
        services.close()
        raise
    return services


@contextmanager
def served_with_demo_orders(
    *, embedder: Embedder, database_url: str, directory: Path, locales: Sequence[str],
    agent_email: str, agent_password: str,
) -> Iterator[LiveServer]:
    """The app on :func:`translated_services` (worker in process), with the demo orders
    and one agent, served on a free port; ``live.services`` holds the services."""
    services = translated_services(
        embedder=embedder, database_url=database_url, directory=directory, locales=locales,
        worker_in_process=True, worker_poll_seconds=0.05,
    )
    add_user(services.session_factory, email=agent_email, role="agent", password=agent_password)
    with transaction(services.session_factory) as session:
        load_demo_orders(session, today=date.today())
    live = LiveServer(create_app(services.settings, services=services))
    live.services = services  # type: ignore[attr-defined]
    live.start()
    try:
        yield live
    finally:
        live.stop()
        services.close()


@contextmanager
def buyer_and_agent_pages(browser: Browser, *, buyer_locale: str) -> Iterator[tuple[Page, Page]]:
    """A buyer's tab and an agent's tab (separate contexts: separate storage); no page
    error may happen in the buyer's."""
    buyer = browser.new_context(locale=buyer_locale, viewport={"width": 1280, "height": 900})
    agent = browser.new_context(viewport={"width": 1400, "height": 1000})
    buyer_page, agent_page = buyer.new_page(), agent.new_page()
    errors: list[str] = []
    buyer_page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield buyer_page, agent_page
    finally:
        buyer.close()
        agent.close()
    assert errors == [], errors
