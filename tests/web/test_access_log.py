"""Buyer tokens sent as ``?token=`` never reach the access log (issue 15 §9)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from bot.web.access_log import ACCESS_LOGGER, redact_tokens
from tests.factories import open_conversation
from tests.workflow_support import free_port


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def logged_server(app: FastAPI) -> Iterator[tuple[str, Lines]]:
    """The app under uvicorn with its default logging (access log on)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info",
                                           lifespan="on", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    lines = Lines()
    logging.getLogger(ACCESS_LOGGER).addHandler(lines)
    try:
        yield f"http://127.0.0.1:{port}", lines
    finally:
        logging.getLogger(ACCESS_LOGGER).removeHandler(lines)
        server.should_exit = True
        thread.join(timeout=15)


def test_a_token_in_the_query_is_not_logged(logged_server: tuple[str, Lines]) -> None:
    base, lines = logged_server
    with httpx.Client(base_url=base, timeout=10) as client:
        conversation_id, token = open_conversation(client)
        answer = client.get(f"/api/v1/conversations/{conversation_id}/messages?token={token}")
        assert answer.status_code == 200  # the token still works
    logged = [line for line in lines.lines if f"/{conversation_id}/messages" in line]
    assert logged, lines.lines
    assert all(token not in line for line in logged)
    assert "token=[redacted]" in logged[0]


def test_only_token_values_are_rewritten() -> None:
    assert redact_tokens("GET /a?after=3&token=abc.DEF-1&x=1 HTTP/1.1") == (
        "GET /a?after=3&token=[redacted]&x=1 HTTP/1.1")
    assert redact_tokens("/events?csrf_token=keep") == "/events?csrf_token=keep"
