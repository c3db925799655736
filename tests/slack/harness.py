"""Drive the desk like Slack does: signed ``block_actions`` and ``view_submission`` posts."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack.desk import SlackDesk
from bot.web.app import create_app
from bot.worker import DraftingWorker
from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex
from tests.slack.mock_web_api_server import MockSlackWebApi, RecordedCall

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "CREVIEW001"
APPROVER = "UAPPROVER1"
GROUP = "SREVIEWERS"
GROUP_MEMBER = "UGROUPMEM1"
STRANGER = "USTRANGER1"
PUBLIC_URL = "https://desk.example"


def slack_settings(tmp_path: Path, *, api_url: str, **overrides: Any) -> Settings:
    """Settings for the real app in http mode, with the Web API at ``api_url``."""
    values: dict[str, Any] = {
        "environment": "test",
        "data_dir": tmp_path / "data",
        "public_url": PUBLIC_URL,
        "worker_in_process": False,
        "slack_mode": "http",
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_review_channel": CHANNEL,
        "slack_approvers": [APPROVER, GROUP],
        "slack_api_url": api_url,
    }
    values.update(overrides)
    return Settings(**values)


def sign(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """Slack's v0 request signature headers for ``body``."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


_counter = itertools.count(1)


def block_action(
    action_id: str, draft_id: int, *, user: str, channel: str = CHANNEL,
    message_ts: str = "1700000000.000001", action_ts: str | None = None,
) -> dict[str, Any]:
    """A ``block_actions`` payload for one button of a card."""
    n = next(_counter)
    return {
        "type": "block_actions",
        "team": {"id": "T0000001", "domain": "example"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0000001"},
        "api_app_id": "A0000001",
        "token": "legacy-verification-token",
        "trigger_id": f"{n}.1234.abcdef",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "channel": {"id": channel, "name": "cs-review"},
        "message": {"type": "message", "ts": message_ts, "text": "card"},
        "actions": [{
            "type": "button", "action_id": action_id, "block_id": f"draft_actions:{draft_id}",
            "value": str(draft_id), "action_ts": action_ts or f"1700000100.{n:06d}",
            "text": {"type": "plain_text", "text": action_id},
        }],
    }


def view_submission(
    callback_id: str, draft_id: int, *, user: str, block_id: str, text: str,
    view_id: str | None = None,
) -> dict[str, Any]:
    """A ``view_submission`` payload of one of the desk's modals."""
    n = next(_counter)
    return {
        "type": "view_submission",
        "team": {"id": "T0000001", "domain": "example"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0000001"},
        "api_app_id": "A0000001",
        "token": "legacy-verification-token",
        "trigger_id": f"{n}.5678.abcdef",
        "view": {
            "id": view_id or f"V{n:08d}", "type": "modal", "callback_id": callback_id,
            "private_metadata": str(draft_id), "hash": f"{n}.hash", "team_id": "T0000001",
            "app_id": "A0000001", "bot_id": "B0000001",
            "state": {"values": {block_id: {"text": {"type": "plain_text_input", "value": text}}}},
        },
    }


class RecordingSleep:
    """Stands in for ``time.sleep`` in Web API retries: remembers each wait, waits not."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class SlackHarness:
    """The running app, its services and desk, the mock Slack, and helpers to act."""

    def __init__(
        self, client: TestClient, services: Services, mock: MockSlackWebApi,
        sleep: RecordingSleep,
    ) -> None:
        self.client = client
        self.sleep = sleep
        self.services = services
        self.mock = mock
        self.desk: SlackDesk = client.app.state.slack_desk  # type: ignore[attr-defined]
        self.worker = DraftingWorker(workflow=services.workflow)

    @classmethod
    @contextmanager
    def running(
        cls, settings: Settings, mock: MockSlackWebApi, *, drafter: FakeDrafter | None = None
    ) -> Iterator[SlackHarness]:
        mock.set_usergroup(GROUP, [GROUP_MEMBER])
        services = build_services(
            settings, drafter=drafter or FakeDrafter(), embedder=FakeEmbedder(),
            index=InMemoryIndex(),
        )
        sleep = RecordingSleep()
        services.retry_sleep = sleep
        try:
            with TestClient(create_app(settings, services=services)) as client:
                harness = cls(client, services, mock, sleep)
                # Tests run the periodic work themselves, with the ``now`` they choose.
                harness.desk.stop_scheduler()
                yield harness
        finally:
            services.close()

    # --- buyers ---------------------------------------------------------------------------

    def open_conversation(self, name: str = "Maria Lopez") -> tuple[str, str]:
        answer = self.client.post("/api/v1/conversations", json={"buyer_name": name})
        assert answer.status_code == 201, answer.text
        return answer.json()["id"], answer.json()["token"]

    def buyer_writes(self, conversation_id: str, token: str, text: str) -> None:
        """Post a buyer message, draft it, and wait for the card work it causes."""
        answer = self.client.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"text": text},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 202, answer.text
        self.worker.run_until_idle()
        self.settle()

    def buyer_sees(self, conversation_id: str, token: str) -> list[dict[str, Any]]:
        answer = self.client.get(
            f"/api/v1/conversations/{conversation_id}/messages",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.text
        messages: list[dict[str, Any]] = answer.json()["messages"]
        return messages

    def new_draft(self, text: str = "Where is my parcel?", name: str = "Maria Lopez") -> tuple[
        int, str, str
    ]:
        """A conversation with one pending draft whose card was posted: (draft id, conv, token)."""
        conversation_id, token = self.open_conversation(name)
        self.buyer_writes(conversation_id, token, text)
        [draft] = [d for d in self.services.workflow.list_drafts()
                   if d.conversation_id == conversation_id]
        return draft.id, conversation_id, token

    # --- Slack ----------------------------------------------------------------------------

    def post_payload(
        self, payload: dict[str, Any], *, timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> Any:
        """Send a signed interactivity payload to /slack/events."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.client.post(
            "/slack/events", content=body.encode(),
            headers=sign(body, timestamp=timestamp, secret=secret),
        )

    def click(self, action_id: str, draft_id: int, *, user: str = APPROVER,
              **keywords: Any) -> Any:
        response = self.post_payload(block_action(action_id, draft_id, user=user, **keywords))
        self.settle()
        return response

    def submit(self, callback_id: str, draft_id: int, *, block_id: str, text: str,
               user: str = APPROVER, view_id: str | None = None) -> Any:
        payload = view_submission(callback_id, draft_id, user=user, block_id=block_id,
                                  text=text, view_id=view_id)
        response = self.post_payload(payload)
        self.settle()
        return response

    def settle(self) -> None:
        """Wait for lazy listeners and the card work they caused."""
        assert self.desk.wait_idle(30), "the Slack desk did not finish its work"

    def draft_status(self, draft_id: int) -> str:
        return self.services.workflow.get_draft(draft_id=draft_id).status

    def cards(self) -> list[RecordedCall]:
        """Review cards posted (messages with the five buttons)."""
        return [c for c in self.mock.calls("chat.postMessage") if c.params.get("blocks")]


def action_values(call: RecordedCall) -> dict[str, str]:
    """action_id → value of the buttons in a posted or updated card."""
    blocks = call.params.get("blocks") or []
    return {
        element["action_id"]: element["value"]
        for block in blocks if block.get("type") == "actions"
        for element in block.get("elements", [])
    }


def card_text(call: RecordedCall) -> str:
    """All the text of a card's blocks, for assertions on what it shows."""
    return json.dumps(call.params.get("blocks") or [], ensure_ascii=False)
