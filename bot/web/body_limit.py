"""A request-body limit for every route, enforced while the bytes arrive (issue 15).

A declared ``Content-Length`` over the route's cap is refused at once; a chunked body is
counted as it comes in and refused as soon as it passes the cap, so the server never holds
more than the cap of one request. Caps are chosen by the longest matching path prefix.

Bodies of routes with a small cap are read here in full before the app runs (at most the
cap), so an oversized body gets a 413 whatever the route does with it — even a 404. Larger
caps (uploads) are only counted, while the route reads its body.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.errors import error_response

# The buyer API, the agent API and most forms take a few KB; see create_app for the others.
DEFAULT_MAX_BODY_BYTES = 64 * 1024
# Caps up to this size are read before the app runs; larger ones are counted as read.
READ_AHEAD_MAX_BYTES = 4 * 1024 * 1024


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def payload_too_large(scope: Scope, limit: int) -> ASGIApp:
    """The 413 answer (one line for a browser's form post, else the JSON error shape).

    The connection closes afterwards because the rest of the body is not read.
    """
    message = f"the request body is too large (at most {_size(limit)} here)"
    headers = {"Connection": "close"}
    if "text/html" in Headers(scope=scope).get("accept", ""):
        return PlainTextResponse(message[0].upper() + message[1:] + ".", status_code=413,
                                 headers=headers)
    return error_response(413, "payload_too_large", message, headers=headers)


class RequestBodyLimit:
    """ASGI middleware: at most ``limit_for(path)`` bytes of request body per request."""

    def __init__(
        self, app: ASGIApp, *, default_limit: int = DEFAULT_MAX_BODY_BYTES,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        # Longest prefix first, so "/kb/upload" wins over "/kb".
        self.limits = sorted((limits or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await payload_too_large(scope, limit)(scope, receive, send)
            return
        has_body = "transfer-encoding" in headers or (declared or "0").strip() not in ("", "0")
        if has_body and limit <= READ_AHEAD_MAX_BYTES:
            body = await _read_body(receive, limit)
            if body is None:
                await payload_too_large(scope, limit)(scope, receive, send)
                return
            receive = replay_body(body, receive)
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    # An HTTPException: a route reading its body lets it through unchanged
                    # (FastAPI turns any other error while reading a body into a 400).
                    raise HTTPException(413, f"the request body is too large "
                                             f"(at most {_size(limit)} here)")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException:
            if started or not exceeded:
                raise
            await payload_too_large(scope, limit)(scope, receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: let the app see an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out the already-read body once, then the real channel."""
    pending = True

    async def replaying_receive() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replaying_receive
