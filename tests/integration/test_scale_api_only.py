"""`draftdesk serve --api-only` (issue 17 §5): the API answers without the embedding model —
torch and sentence-transformers are never imported — and leaves drafting to workers. It stays
small (≤ 200 MB): Chroma is not opened and lingua's letter statistics are not loaded, yet the
buyer is still acknowledged in their language."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

# Runs in a fresh interpreter: this test process has imported the model's libraries long ago.
_API_ONLY_PROCESS = """
import json, sys
from fastapi.testclient import TestClient
from bot.settings import Settings
from bot.web.app import create_app

settings = Settings(data_dir=sys.argv[1], api_only=True)
with TestClient(create_app(settings)) as api:
    health = api.get("/healthz")
    conversation = api.post("/api/v1/conversations", json={}).json()
    auth = {"Authorization": f"Bearer {conversation['token']}"}
    posted = api.post(f"/api/v1/conversations/{conversation['id']}/messages",
                      json={"text": "Wo bleibt meine Bestellung? Ich warte schon lange."},
                      headers=auth)
    thread = api.get(f"/api/v1/conversations/{conversation['id']}/messages", headers=auth).json()
    services = api.app.state.services
    print(json.dumps({
        "health": health.status_code,
        "health_body": {k: health.json()[k] for k in ("role", "indexed_chunks")},
        "posted": posted.status_code,
        "acknowledged": [m["text"] for m in thread["messages"] if m["role"] == "system"],
        "queued": services.workflow.queue_length(),
        "worker_in_process": services.settings.worker_in_process,
        "loaded": sorted(m for m in ("torch", "sentence_transformers", "transformers",
                                     "chromadb", "lingua") if m in sys.modules),
    }))
"""


def test_an_api_only_process_serves_without_the_model(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", _API_ONLY_PROCESS, str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    acknowledged = report.pop("acknowledged")
    assert report == {"health": 200, "health_body": {"role": "api", "indexed_chunks": None},
                      "posted": 202, "queued": 1, "worker_in_process": False, "loaded": []}
    assert len(acknowledged) == 1 and "Eine Person aus unserem Team" in acknowledged[0]
