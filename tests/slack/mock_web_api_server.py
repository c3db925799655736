"""A local stand-in for Slack's Web API: a real HTTP server on 127.0.0.1 in a thread.

Like bolt-python's ``tests/mock_web_api_server``, it answers the methods the desk calls,
records every request (method, parameters, HTTP status answered) and can be told to fail
the next calls of a method with 429 + ``Retry-After``, a 5xx, or a dropped connection.
Like Slack, it refuses blocks and views over Slack's documented limits and a ``views.open``
without a trigger id.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

BOT_USER_ID = "UBOT000001"


@dataclass
class RecordedCall:
    """One request the mock received, and the status it answered."""

    method: str
    params: dict[str, Any]
    status: int
    token: str | None
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    remaining: int


@dataclass
class MockSlackState:
    calls: list[RecordedCall] = field(default_factory=list)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def _decode(value: Any) -> Any:
    """Form-encoded Web API calls carry JSON strings for blocks, views and so on."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _too_long(text_object: Any, limit: int) -> bool:
    return not isinstance(text_object, dict) or len(str(text_object.get("text", ""))) > limit


def _blocks_problem(blocks: Any, *, max_blocks: int) -> str | None:
    """The error Slack answers for blocks over its documented limits (None when fine)."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > max_blocks:
        return "invalid_blocks"
    for block in blocks:
        text = block.get("text")
        if block.get("type") == "section" and text is not None and _too_long(text, 3000):
            return "invalid_blocks"
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            confirm = element.get("confirm")
            if confirm is not None and (
                _too_long(confirm.get("title"), 100) or _too_long(confirm.get("text"), 300)
                or _too_long(confirm.get("confirm"), 30) or _too_long(confirm.get("deny"), 30)
            ):
                return "invalid_blocks"
    return None


class MockSlackWebApi:
    """Start with :meth:`start`; point ``DRAFTDESK_SLACK_API_URL`` at :attr:`url`."""

    def __init__(self) -> None:
        self.state = MockSlackState()
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def start(self) -> MockSlackWebApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ----- test controls -------------------------------------------------------------

    def fail(
        self, method: str, *, status: int, times: int = 1, retry_after: float | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (0 drops the socket)."""
        with self._lock:
            self.state.failures.setdefault(method, []).append(
                _Failure(status=status, retry_after=retry_after, remaining=times)
            )

    def set_usergroup(self, usergroup: str, users: list[str]) -> None:
        with self._lock:
            self.state.usergroups[usergroup] = list(users)

    def calls(self, method: str | None = None, *, ok_only: bool = True) -> list[RecordedCall]:
        """Calls received (of ``method``), by default only those answered with 200."""
        with self._lock:
            return [
                c for c in self.state.calls
                if (method is None or c.method == method) and (not ok_only or c.status == 200)
            ]

    def attempts(self, method: str) -> list[RecordedCall]:
        """Every request of ``method``, failed ones included."""
        return self.calls(method, ok_only=False)

    def wait_for(self, method: str, *, count: int = 1, timeout: float = 10.0) -> list[RecordedCall]:
        """Block until ``count`` successful calls of ``method`` arrived; fail the test if not."""
        with self._lock:
            self._lock.wait_for(lambda: len(self._ok(method)) >= count, timeout=timeout)
            calls = self._ok(method)
        if len(calls) < count:
            seen = [c.method for c in self.state.calls]
            raise AssertionError(f"expected {count} × {method}, got {len(calls)}; saw {seen}")
        return calls

    def wait_for_attempt(self, method: str, *, timeout: float = 10.0) -> RecordedCall:
        """Block until ``method`` was requested at all (whatever the answer)."""
        with self._lock:
            self._lock.wait_for(
                lambda: any(c.method == method for c in self.state.calls), timeout=timeout
            )
            seen = [c for c in self.state.calls if c.method == method]
        if not seen:
            raise AssertionError(f"{method} was never called")
        return seen[0]

    def _ok(self, method: str) -> list[RecordedCall]:
        return [c for c in self.state.calls if c.method == method and c.status == 200]

    # ----- the server ------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Example",
                    "user": "draftdesk", "team_id": "T0000001", "user_id": BOT_USER_ID,
                    "bot_id": "B0000001"}
        if method in ("chat.postMessage", "chat.update"):
            if problem := _blocks_problem(params.get("blocks"), max_blocks=50):
                return {"ok": False, "error": problem}
            ts = params.get("ts") or f"1700000000.{next(self.state.ts):06d}"
            return {"ok": True, "channel": params.get("channel"), "ts": ts,
                    "message": {"text": params.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self.state.ts):06d}"}
        if method == "views.open":
            view = params.get("view") or {}
            if not params.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            if _too_long(view.get("title"), 24) or _blocks_problem(
                view.get("blocks"), max_blocks=100
            ):
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "view": {"id": "V0000001", **(params.get("view") or {})}}
        if method == "usergroups.users.list":
            group = str(params.get("usergroup"))
            if group not in self.state.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.state.usergroups[group]}
        return {"ok": False, "error": "unknown_method"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep test output quiet

            def _params(self) -> dict[str, Any]:
                parsed = urlparse(self.path)
                params: dict[str, Any] = dict(parse_qsl(parsed.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        params.update(json.loads(raw))
                    else:
                        params.update(parse_qsl(raw))
                return {key: _decode(value) for key, value in params.items()}

            def _handle(self) -> None:
                method = urlparse(self.path).path.rsplit("/", 1)[-1]
                params = self._params()
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") or None
                with mock._lock:
                    failure = None
                    queue = mock.state.failures.get(method, [])
                    if queue:
                        failure = queue[0]
                        failure.remaining -= 1
                        if failure.remaining <= 0:
                            queue.pop(0)
                    status = failure.status if failure else 200
                    body = {"ok": False, "error": "ratelimited" if status == 429 else "fatal"}
                    if failure is None:
                        body = mock._answer(method, params)
                    mock.state.calls.append(RecordedCall(method, params, status, token, body))
                    mock._lock.notify_all()
                if status == 0:  # a network failure: close without answering
                    self.close_connection = True
                    self.connection.close()
                    return
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                if failure is not None and failure.retry_after is not None:
                    self.send_header("Retry-After", str(int(failure.retry_after)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = _handle
            do_GET = _handle

        return Handler
