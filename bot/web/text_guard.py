"""Refuse text no field can hold, at the edge, for every route (issue 15 §5 and §9).

NUL characters (PostgreSQL text cannot store them), lone surrogates (no encoding can write
them) and invalid UTF-8 (which would silently become "���" in a sent reply) are answered
with a 422 before any route runs — in the path, the query string, URL-encoded forms and
JSON bodies. Multipart uploads are left to the upload route (files are bytes).

Runs inside :class:`~bot.web.body_limit.RequestBodyLimit`, so a body it reads is bounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.web.body_limit import replay_body
from bot.web.errors import ApiError, error_response


class MalformedText(ApiError):
    """A request carries text that is not valid, storable Unicode."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_request", message)


def check_text(value: str, where: str) -> None:
    """Refuse NUL and lone surrogates (what JSON's ``\\ud800`` escapes produce)."""
    if "\x00" in value:
        raise MalformedText(f"{where}: NUL characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedText(f"{where}: lone surrogates are not allowed") from exc


def check_percent_encoded(raw: bytes, where: str) -> None:
    """Percent-encoded bytes (a path, a query, a form) must decode as UTF-8 without NUL."""
    for part in raw.replace(b"+", b" ").split(b"&"):
        try:
            decoded = unquote_to_bytes(part).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedText(f"{where}: not valid UTF-8") from exc
        check_text(decoded, where)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def check_json(body: bytes) -> None:
    """Every string of a JSON body (keys too); a body that is not JSON is the app's to refuse."""
    try:
        document = json.loads(body)
    except ValueError:
        return
    for text in _strings(document):
        check_text(text, "body")


def _refusal(scope: Scope, message: str) -> ASGIApp:
    if "text/html" in Headers(scope=scope).get("accept", ""):
        return PlainTextResponse(message[0].upper() + message[1:] + ".", status_code=422)
    return error_response(422, "invalid_request", message)


class MalformedTextGuard:
    """ASGI middleware: 422 for malformed text anywhere in the URL or a form/JSON body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_percent_encoded(scope.get("raw_path") or scope["path"].encode(), "path")
            check_percent_encoded(scope.get("query_string", b""), "query")
        except MalformedText as exc:
            await _refusal(scope, exc.message)(scope, receive, send)
            return
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        body, receive = await _buffered(receive)
        try:
            if content_type == "application/json":
                check_json(body)
            else:
                check_percent_encoded(body, "form")
        except MalformedText as exc:
            await _refusal(scope, exc.message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the (already size-limited) body and a ``receive`` that hands it out again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replay_body(body, receive)
