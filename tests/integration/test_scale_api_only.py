"""`draftdesk serve --api-only` (issue 17 §5): the API answers without the embedding model —
torch and sentence-transformers are never imported — and leaves drafting to workers."""

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
    posted = api.post(f"/api/v1/conversations/{conversation['id']}/messages",
                      json={"text": "Where is my parcel?"},
                      headers={"Authorization": f"Bearer {conversation['token']}"})
    services = api.app.state.services
    print(json.dumps({
        "health": health.status_code,
        "posted": posted.status_code,
        "queued": services.workflow.queue_length(),
        "worker_in_process": services.settings.worker_in_process,
        "loaded": sorted(m for m in ("torch", "sentence_transformers", "transformers")
                         if m in sys.modules),
    }))
"""


def test_an_api_only_process_serves_without_the_model(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-c", _API_ONLY_PROCESS, str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report == {"health": 200, "posted": 202, "queued": 1, "worker_in_process": False,
                      "loaded": []}
