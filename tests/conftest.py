"""Shared fixtures. Credentials are scrubbed from the environment for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_KB = REPO_ROOT / "knowledge_base" / "demo"
_SECRET_PREFIXES = ("DRAFTDESK_", "SLACK_", "OPENAI_", "ANTHROPIC_", "LANGCHAIN_", "LANGSMITH_")
_KEEP = {"DRAFTDESK_TEST_DATABASE_URL"}


@pytest.fixture(autouse=True)
def _scrub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may pick up a developer's real tokens or settings from the environment."""
    for name in list(os.environ):
        if name.startswith(_SECRET_PREFIXES) and name not in _KEEP:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(REPO_ROOT)


@pytest.fixture(scope="session")
def real_embedder() -> object:
    """The real bundled MiniLM model, loaded once per test session."""
    from ingest.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def test_database_url() -> str | None:
    """PostgreSQL for the tests when DRAFTDESK_TEST_DATABASE_URL is set (CI sets it)."""
    return os.environ.get("DRAFTDESK_TEST_DATABASE_URL")


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    path.mkdir()
    yield path


@pytest.fixture(scope="session")
def demo_services(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: object
) -> Iterator[object]:
    """Real services (SQLite + embedded Chroma + real model) with the demo KB ingested, once."""
    from bot.services import build_services
    from bot.settings import Settings
    from ingest.pipeline import ingest_paths

    data = tmp_path_factory.mktemp("demo-data")
    services = build_services(Settings(data_dir=data), embedder=real_embedder)  # type: ignore[arg-type]
    ingest_paths(
        [DEMO_KB],
        session_factory=services.session_factory,
        index=services.index,
        embedder=services.embedder,
    )
    if services.pipeline is not None:
        services.pipeline.retriever.refresh()
    yield services
    services.close()
