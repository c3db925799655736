"""Every route has a request-body cap, enforced while the bytes arrive (issue 15 §2).

The request bodies here are async generators that count what the server pulled from them
(sent through httpx's ASGI transport, which hands the app one chunk per ``receive``), so the
tests show the server stopped reading at the cap instead of buffering the whole body.
"""

from __future__ import annotations

import asyncio
import select
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.web.body_limit import DEFAULT_MAX_BODY_BYTES, READ_AHEAD_MAX_BYTES, RequestBodyLimit
from tests.factories import open_conversation

CHUNK = 64 * 1024


class CountingBody:
    """A chunked request body of ``total`` bytes that records how much was read from it."""

    def __init__(self, total: int, chunk: bytes = b"x" * CHUNK) -> None:
        self.total = total
        self.chunk = chunk
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            self.pulled += len(self.chunk)
            yield self.chunk


def post(
    app: object, path: str, body: CountingBody, headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST ``body`` chunk by chunk, as a client streaming over a socket would."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(path, content=body, headers=headers)

    return asyncio.run(send())


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conversations",  # the public buyer API, no token needed
        "/api/v1/conversations/nope/messages",  # a wrong conversation (would be 404)
        "/api/v1/drafts/1/approve",  # the agent API without a token (would be 401)
        "/no/such/route",  # nothing there at all (would be 404)
    ],
)
def test_a_large_chunked_body_is_refused_with_413_without_being_read(
    app: FastAPI, path: str
) -> None:
    body = CountingBody(300 * 1024 * 1024)
    response = post(app, path, body, {"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    # At most the cap and the chunk that passed it were read: not 300 MB.
    assert body.pulled <= DEFAULT_MAX_BODY_BYTES + CHUNK


def test_a_declared_length_over_the_cap_is_refused_before_reading(app: FastAPI) -> None:
    body = CountingBody(10 * 1024 * 1024)
    response = post(app, "/api/v1/conversations", body,
                    {"Content-Type": "application/json", "Content-Length": str(body.total)})
    assert response.status_code == 413
    assert body.pulled == 0


def test_a_browser_form_gets_a_one_line_413(app: FastAPI) -> None:
    response = post(app, "/login", CountingBody(1024 * 1024),
                    {"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
    assert response.text == "The request body is too large (at most 64 KB here)."


def test_a_chunked_body_under_the_cap_is_read_normally(api: TestClient) -> None:
    conversation = open_conversation(api)
    payload = b'{"text": "' + b"a" * 3000 + b'"}'
    chunks = iter([payload[:1000], payload[1000:2000], payload[2000:]])
    response = api.post(f"/api/v1/conversations/{conversation.id}/messages", content=chunks,
                        headers={**conversation.headers, "Content-Type": "application/json"})
    assert response.status_code == 202


def test_article_bodies_may_be_larger_than_the_default_cap(
    api: TestClient, lead: dict[str, str]
) -> None:
    body = "Our kettles. " * 8000  # ~100 KB: over 64 KB, under the articles' cap
    response = api.post("/api/v1/articles", headers=lead,
                        json={"title": "Kettle care", "body": body})
    assert response.status_code == 201, response.text


def _echo_length_app(cap: int) -> RequestBodyLimit:
    async def upload(request: Request) -> JSONResponse:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return JSONResponse({"size": size})

    return RequestBodyLimit(Starlette(routes=[Route("/upload", upload, methods=["POST"])]),
                            limits={"/upload": cap})


def test_large_caps_are_counted_while_the_route_reads() -> None:
    cap = READ_AHEAD_MAX_BYTES * 2  # too big to read ahead: counted as the route streams
    app = _echo_length_app(cap)
    small = post(app, "/upload", CountingBody(cap - CHUNK))
    assert small.status_code == 200 and small.json() == {"size": cap - CHUNK}
    body = CountingBody(100 * cap)
    large = post(app, "/upload", body)
    assert large.status_code == 413
    assert body.pulled <= cap + CHUNK


def test_a_real_server_answers_413_long_before_a_huge_chunked_body_ends(
    live_server: Any,
) -> None:
    """Over a socket: the 413 arrives after at most a few MB of a 1 GB chunked upload
    (the cap plus what the kernels' buffers hold), and the server closes the connection."""
    host, port = live_server.url.removeprefix("http://").split(":")
    chunk = b"x" * CHUNK
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /api/v1/conversations HTTP/1.1\r\nHost: test\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        answer = b""
        while sent < 1024**3:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answer = sock.recv(65536)
                break
            try:
                sock.sendall(framed)
            except OSError:  # the server closed after answering: read what it said
                answer = sock.recv(65536)
                break
            sent += len(chunk)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert sent < 64 * 1024 * 1024
