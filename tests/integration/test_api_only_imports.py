"""`draftdesk serve --api-only` starts quickly (issue 17: healthy in ≤ 2 s) because it does not
import what only drafting, ingestion, Slack or the evals need. The command runs as the console
script does (``main()`` with its argv) in a fresh interpreter, up to a healthy ``/healthz``;
then no heavy library may be in ``sys.modules``. A regression here is an import moved back to
module level somewhere on the way from ``bot.cli`` / ``bot.web.app`` to these libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

# What the API-only role never needs at start, and roughly what each cost (2 shared cores).
DEFERRED = (
    "torch", "sentence_transformers", "transformers",  # the embedding model
    "langchain", "langchain_core", "langchain_text_splitters",  # LLM composer, chunking
    "chromadb", "lingua", "sklearn", "scipy", "bm25s", "numpy",  # index, retrieval
    "pypdf", "docx", "lxml",  # document loaders (uploads and ingest only)
    "slack_bolt", "slack_sdk",  # Slack is not configured here
    "playwright", "evals",  # browser tests; the `eval` plugin
    "bot.retrieval", "bot.drafting.pipeline", "bot.drafting.offline", "bot.checks.registry",
    "bot.kb_editor.lint", "bot.policy", "ingest.pipeline",
)

# uvicorn.run is replaced by a client that runs the app's lifespan and asks /healthz once:
# everything `serve` imports and builds before it answers, without a port.
_SERVE_API_ONLY = """
import json, sys
import uvicorn
from fastapi.testclient import TestClient

deferred = set(sys.argv[1:])
health = []

def answer_health_once(app, **options):
    with TestClient(app) as client:
        response = client.get("/healthz")
        health.append((response.status_code, response.json()["role"]))

uvicorn.run = answer_health_once
sys.argv = ["draftdesk", "serve", "--api-only"]
from bot.cli import main
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
print(json.dumps({"health": health, "loaded": sorted(set(sys.modules) & deferred)}))
"""


def test_serve_api_only_imports_no_model_index_loaders_or_slack(tmp_path: Path) -> None:
    env = {**os.environ, "DRAFTDESK_DATA_DIR": str(tmp_path / "data")}
    finished = subprocess.run(
        [sys.executable, "-c", _SERVE_API_ONLY, *DEFERRED],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report == {"health": [[200, "api"]], "loaded": []}


def test_a_start_on_a_current_schema_does_not_load_alembic(tmp_path: Path) -> None:
    env = {**os.environ, "DRAFTDESK_DATA_DIR": str(tmp_path / "data")}
    upgraded = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    finished = subprocess.run(
        [sys.executable, "-c", _SERVE_API_ONLY, "alembic", "mako", "pygments"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report == {"health": [[200, "api"]], "loaded": []}
