"""Real processes: two ``draftdesk worker`` on one queue, and ``kill -9`` of ``draftdesk serve``.

The processes run with a fast fake drafter: ``python -m tests.with_fake_services`` is the
real CLI with fakes wired at the composition root.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bot.conversations.models import Draft, Message
from tests.conftest import REPO_ROOT
from tests.workflow_support import free_port, wait_for


def _env(settings: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTDESK_")}
    env.update({
        "DRAFTDESK_ENVIRONMENT": "test",
        "DRAFTDESK_DATABASE_URL": settings.database_url,
        "DRAFTDESK_DATA_DIR": str(settings.data_dir),
        "DRAFTDESK_WORKER_POLL_SECONDS": "0.05",
        "PYTHONPATH": str(REPO_ROOT),
        "HF_HUB_OFFLINE": "1",
    })
    env.update(extra)
    return env


def _drafts_per_message(services: Any) -> Counter[int]:
    with services.session_factory() as session:
        drafts = session.execute(select(Draft)).scalars().all()
    return Counter(message_id for d in drafts for message_id in d.message_ids)


def _buyer_message_ids(services: Any) -> set[int]:
    with services.session_factory() as session:
        return set(session.execute(select(Message.id).where(Message.role == "buyer")).scalars())


def test_two_worker_processes_draft_each_message_exactly_once(workflow_services: Any) -> None:
    wf = workflow_services.workflow
    for n in range(200):
        conversation = wf.start_conversation(buyer_name=f"Buyer {n}")
        wf.receive_buyer_message(conversation_id=conversation.id, text=f"Question number {n}")
    env = _env(workflow_services.settings, DRAFTDESK_TEST_DRAFT_DELAY="0.005")
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.with_fake_services", "worker",
                          "--exit-when-idle"],
                         cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=240) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
    done = [int(out.split()[1]) for out, _ in outputs]
    assert sum(done) == 200

    per_message = _drafts_per_message(workflow_services)
    assert set(per_message) == _buyer_message_ids(workflow_services)
    assert set(per_message.values()) == {1}
    assert {d.status for d in wf.list_drafts(limit=500)} == {"pending_review"}
    assert len(wf.list_drafts(limit=500)) == 200


def test_kill_9_while_drafting_loses_nothing_and_drafts_once(
    workflow_services: Any, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(workflow_services.settings, DRAFTDESK_TEST_DRAFT_DELAY="0.3",
               DRAFTDESK_WORKER_IN_PROCESS="true", DRAFTDESK_WORKER_LEASE_SECONDS="2")
    command = [sys.executable, "-m", "tests.with_fake_services", "serve", "--port", str(port)]
    log = (tmp_path / "serve.log").open("w")

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
        wait_for(lambda: _healthy(base), timeout=60)
        return process

    server = start()
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            for n in range(8):
                created = client.post("/api/v1/conversations", json={}).json()
                response = client.post(
                    f"/api/v1/conversations/{created['id']}/messages",
                    json={"text": f"message {n}"},
                    headers={"Authorization": f"Bearer {created['token']}"},
                )
                assert response.status_code == 202
        # Some drafts are done, others are waiting or mid-draft: pull the plug.
        wait_for(lambda: len(_drafts_per_message(workflow_services)) >= 2, timeout=60)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        assert len(_drafts_per_message(workflow_services)) < 8
        server = start()
        wait_for(lambda: len(_drafts_per_message(workflow_services)) == 8, timeout=60)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    per_message = _drafts_per_message(workflow_services)
    assert set(per_message) == _buyer_message_ids(workflow_services)
    assert set(per_message.values()) == {1}


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
