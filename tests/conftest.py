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
# The demo KB's English originals: what most tests draft from. Ingesting the translations
# too (knowledge_base/demo/translations, 5 languages) takes ~3× as long; the tests that are
# about other languages ingest them themselves.
DEMO_ENGLISH = DEMO_KB / "articles"
DEMO_TRANSLATIONS = DEMO_KB / "translations"
# Environment variables a test (or a process it starts) must never inherit.
SECRET_ENV_PREFIXES = (
    "DRAFTDESK_", "SLACK_", "OPENAI_", "ANTHROPIC_", "LANGCHAIN_", "LANGSMITH_",
)
_KEEP = {"DRAFTDESK_TEST_DATABASE_URL", "DRAFTDESK_TEST_REDIS_URL"}


def _default_data_keys() -> None:
    """Engines a test builds itself (not through ``open_database``, which reads or generates
    the data dir's key) encrypt buyer data with one key per test process."""
    from bot.protection.crypto import DataKeyring, generate_key, set_default_data_keys

    set_default_data_keys(DataKeyring.of(generate_key(), source="the tests' process key"))


_default_data_keys()


@pytest.fixture(autouse=True)
def _scrub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may pick up a developer's real tokens or settings from the environment or
    from a ``.env`` file (in this process or in the processes tests start)."""
    for name in list(os.environ):
        if name.startswith(SECRET_ENV_PREFIXES) and name not in _KEEP:
            monkeypatch.delenv(name, raising=False)
    # Settings read .env from here instead of the data dir; an empty device reads as nothing.
    monkeypatch.setenv("DRAFTDESK_ENV_FILE", os.devnull)
    monkeypatch.chdir(REPO_ROOT)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs the real embedding model, through any fixture, is ``slow``."""
    for item in items:
        if "real_embedder" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


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
def demo_kb_template(real_embedder: object, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The demo KB migrated, published and embedded once; ``demo_services`` in
    ``tests/kb_editor_support.py`` gives each test its own copy."""
    from tests.kb_editor_support import demo_template

    return demo_template(real_embedder, tmp_path_factory.mktemp("kb-demo"))  # type: ignore[arg-type]


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
        [DEMO_ENGLISH],
        session_factory=services.session_factory,
        index=services.index,
        embedder=services.embedder,
    )
    if services.pipeline is not None:
        services.pipeline.retriever.refresh()
    yield services
    services.close()


# --- conversations, workflow, web and browser (issue 3) ---------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``db_backend``: SQLite always, PostgreSQL too when DRAFTDESK_TEST_DATABASE_URL is set."""
    if "db_backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        if os.environ.get("DRAFTDESK_TEST_DATABASE_URL") and not only_sqlite:
            backends.append("postgresql")
        metafunc.parametrize("db_backend", backends, indirect=True)


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.workflow_support import migrated_sqlite_template

    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def _postgres_schema(test_database_url: str | None) -> Iterator[str | None]:
    """One migrated schema per test session (never touches other sessions' tables)."""
    if not test_database_url:
        yield None
        return
    from tests.workflow_support import fresh_postgres_schema

    with fresh_postgres_schema(test_database_url) as url:
        yield url


@pytest.fixture
def workflow_db_url(
    db_backend: str, tmp_path: Path, _sqlite_template: Path, _postgres_schema: str | None
) -> str:
    """An empty, migrated database of the parametrised backend."""
    from tests.workflow_support import empty_postgres_tables, sqlite_copy

    if db_backend == "postgresql":
        assert _postgres_schema is not None
        empty_postgres_tables(_postgres_schema)
        return _postgres_schema
    return sqlite_copy(_sqlite_template, tmp_path)


@pytest.fixture
def workflow_settings(workflow_db_url: str, tmp_path: Path) -> object:
    from bot.settings import Settings

    return Settings(
        environment="test", data_dir=tmp_path / "data", database_url=workflow_db_url,
        worker_in_process=False, worker_poll_seconds=0.05,
        secret_key="test-secret-key-0123456789abcdef0123456789",  # type: ignore[arg-type]
    )


@pytest.fixture
def fake_drafter() -> object:
    from tests.fakes import FakeDrafter

    return FakeDrafter()


@pytest.fixture
def workflow_services(workflow_settings: object, fake_drafter: object) -> Iterator[object]:
    """Services on the test database with a fake drafter, embedder and index (no models)."""
    from bot.services import build_services
    from tests.fakes import FakeEmbedder, InMemoryIndex

    services = build_services(
        workflow_settings, embedder=FakeEmbedder(), index=InMemoryIndex(),  # type: ignore[arg-type]
        drafter=fake_drafter, migrate=False,  # type: ignore[arg-type]
    )
    yield services
    services.close()


@pytest.fixture
def workflow(workflow_services: object) -> object:
    return workflow_services.workflow  # type: ignore[attr-defined]


@pytest.fixture
def drain_queue(workflow: object) -> object:
    """Run the drafting worker until nothing is claimable; returns how many were drafted."""
    from bot.worker import DraftingWorker

    def drain() -> int:
        return DraftingWorker(workflow=workflow).run_until_idle()  # type: ignore[arg-type]

    return drain


@pytest.fixture
def live_server(workflow_services: object) -> Iterator[object]:
    """The real app on a free 127.0.0.1 port (uvicorn thread) with its in-process worker.

    ``live_server.url`` is the base URL; ``live_server.services`` the shared services.
    """
    from bot.web.app import create_app
    from tests.workflow_support import LiveServer

    settings = workflow_services.settings.model_copy(  # type: ignore[attr-defined]
        update={"worker_in_process": True}
    )
    server = LiveServer(create_app(settings, services=workflow_services))  # type: ignore[arg-type]
    server.services = workflow_services  # type: ignore[attr-defined]
    server.start()
    yield server
    server.stop()
