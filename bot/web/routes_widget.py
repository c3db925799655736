"""The buyer chat widget: the script sellers embed, a demo storefront, CORS for the buyer API.

Sellers add ``<script src="https://HOST/widget.js" data-draftdesk-seller="NAME" async>`` to
their own site, so the widget's API calls are cross-origin. Only the public buyer API
(``/api/v1/conversations[/{id}[/messages|events|handoff]]``) answers CORS, and only to
``DRAFTDESK_WIDGET_ORIGINS``; the agent API, console and editor stay same-origin. Buyers
authenticate with a bearer token, never cookies, so CORS never allows credentials.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.settings import Settings
from bot.web.templating import templates

log = logging.getLogger(__name__)

WIDGET_JS = Path(__file__).resolve().parent / "static" / "widget.js"
# The buyer endpoints only; agent actions that share the prefix (…/reply, …/close) do not match.
BUYER_API_PATHS = re.compile(
    r"^/api/v1/conversations(?:/[^/]+(?:/(?:messages|events|handoff))?)?/?$"
)
# Sellers embed an unversioned URL: keep browser caches short so fixes reach buyers soon,
# and let the ETag turn most revalidations into an empty 304.
WIDGET_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=86400"
DEMO_LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh")
_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_ORIGIN = re.compile(r"https?://[^/?#\s]+")


def normalise_origins(origins: Sequence[str]) -> list[str]:
    """Origins as browsers send them (``scheme://host[:port]``, no path, no trailing slash)."""
    cleaned: list[str] = []
    for origin in origins:
        value = origin.strip().rstrip("/")
        if value == "*" or _ORIGIN.fullmatch(value):
            cleaned.append(value if value == "*" else value.lower())
        elif value:
            log.warning("ignoring widget origin %r: expected scheme://host[:port]", origin)
    return cleaned


class BuyerApiCors:
    """CORS for the buyer API paths only; every other path passes through untouched."""

    def __init__(
        self, app: ASGIApp, *, origins: Sequence[str], paths: re.Pattern[str] = BUYER_API_PATHS
    ) -> None:
        self.app = app
        self.paths = paths
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"],
            # The widget reads Retry-After to tell the buyer when a rate-limited message goes.
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.paths.match(scope.get("path", "")):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def widget_etag(body: bytes) -> str:
    """A strong validator for the script's exact bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def build_widget_router(settings: Settings) -> APIRouter:
    """``GET /widget.js`` and ``GET /demo``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/widget.js")
    def widget_js(request: Request) -> Response:
        """The embeddable script (gzipped when accepted), cached briefly, revalidated by ETag."""
        body = WIDGET_JS.read_bytes()
        etag = widget_etag(body)
        headers = {
            "Cache-Control": WIDGET_CACHE_CONTROL,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
            # Lets sellers whose pages set Cross-Origin-Embedder-Policy load the script.
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        zipped = "gzip" in request.headers.get("accept-encoding", "").lower()
        if zipped:
            etag = etag[:-1] + '-gz"'  # a different representation needs its own validator
            headers["Content-Encoding"] = "gzip"
        headers["ETag"] = etag
        if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
            headers.pop("Content-Encoding", None)
            return Response(status_code=304, headers=headers)
        if zipped:
            body = gzip.compress(body, compresslevel=9, mtime=0)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    @router.get("/demo", response_class=HTMLResponse)
    def demo(request: Request, lang: str = "en", color: str | None = None) -> Response:
        """A fake storefront that embeds the widget exactly as a seller would."""
        nonce = secrets.token_urlsafe(16)
        context = {
            "seller": settings.seller_name,
            "lang": lang if lang in DEMO_LANGUAGES else "en",
            "languages": DEMO_LANGUAGES,
            "color": color if color and _HEX_COLOUR.match(color) else None,
            "nonce": nonce,
        }
        response = templates.TemplateResponse(request, "demo.html", context)
        # A strict policy on purpose: the widget needs no inline script and no style
        # attributes, so a seller with a CSP only has to allow this host.
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'"
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    return router


def install_widget(app: FastAPI, settings: Settings) -> None:
    """Serve the widget and the demo, and open the buyer API to the configured origins."""
    app.include_router(build_widget_router(settings))
    origins = normalise_origins(settings.widget_origins)
    if origins:
        app.add_middleware(BuyerApiCors, origins=origins)
