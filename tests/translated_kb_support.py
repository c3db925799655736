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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.services import Services, build_services
from bot.settings import Settings
from ingest.embedder import Embedder
from ingest.pipeline import load_sources, store_articles
from ingest.sync import chunks_for
from knowledge_base import repository as kb
from knowledge_base.db import transaction
from tests.conftest import DEMO_ENGLISH, DEMO_TRANSLATIONS
from tests.fakes import InMemoryIndex

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
