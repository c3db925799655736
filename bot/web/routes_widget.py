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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.conversations.errors import ConversationNotFound
from bot.conversations.photos import (
    MAX_PHOTO_BYTES,
    MAX_PHOTOS,
    PhotoPublic,
    PhotoRefused,
    UploadedPhoto,
)
from bot.conversations.schemas import ReceivedMessage
from bot.mail.parsing import MailAttachment
from bot.orders.demo import DEMO_PAGE_DEFAULT_ORDER, DEMO_PAGE_ORDER
from bot.services import Services
from bot.settings import Settings
from bot.web.deps import BuyerConversation, ConsoleUser, ConversationRateLimit, ServicesDep
from bot.web.downloads import file_response
from bot.web.errors import ApiError
from bot.web.templating import templates
from bot.web.validation import RowId

log = logging.getLogger(__name__)

WIDGET_JS = Path(__file__).resolve().parent / "static" / "widget.js"
# The buyer endpoints only; agent actions that share the prefix (…/reply, …/close) do not match.
BUYER_API_PATHS = re.compile(
    r"^/api/v1/(?:conversations(?:/[^/]+(?:/(?:messages|events|handoff|reply-notice))?)?"
    r"|buyer-photos/[^/]+)/?$"
)
# Photos have their own path prefix so the body limit can allow them (bot/web/app.py).
BUYER_PHOTOS_PATH = "/api/v1/buyer-photos"
# Three photos of 5 MB, their multipart framing and a caption.
BUYER_PHOTOS_MAX_BODY = MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024
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
        lang = lang if lang in DEMO_LANGUAGES else "en"
        example_order, example_family_name = DEMO_PAGE_ORDER.get(lang, DEMO_PAGE_DEFAULT_ORDER)
        context = {
            "seller": settings.seller_name,
            "example_order": example_order,
            "example_family_name": example_family_name,
            "lang": lang,
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


photos_router = APIRouter(include_in_schema=False)


async def _read_photos(request: Request) -> tuple[list[UploadedPhoto], str | None]:
    """The ``photo`` files and the optional ``caption`` of a multipart form."""
    form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=4)
    photos = []
    for item in form.getlist("photo"):
        if not isinstance(item, UploadFile):
            raise PhotoRefused("send the photos as files named 'photo'")
        # One byte over the cap is enough to know it is too big.
        photos.append(UploadedPhoto(filename=item.filename or "photo",
                                    data=await item.read(MAX_PHOTO_BYTES + 1)))
    caption = form.get("caption")
    return photos, caption if isinstance(caption, str) else None


@photos_router.post(BUYER_PHOTOS_PATH + "/{conversation_id}",
                    status_code=status.HTTP_202_ACCEPTED, response_model=ReceivedMessage,
                    dependencies=[ConversationRateLimit])
async def post_buyer_photos(
    request: Request, conversation_id: BuyerConversation, services: ServicesDep
) -> ReceivedMessage:
    """1–3 damage photos (JPEG, PNG or WebP, at most 5 MB each) as one buyer message."""
    photos, caption = await _read_photos(request)
    store = _photo_store(services)
    return await run_in_threadpool(
        services.workflow.receive_buyer_photos, conversation_id=conversation_id,
        photos=photos, caption=caption, store=store,
    )


class ReplyNoticeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)


@photos_router.post("/api/v1/conversations/{conversation_id}/reply-notice",
                    status_code=status.HTTP_204_NO_CONTENT,
                    dependencies=[ConversationRateLimit])
def set_reply_notice(
    conversation_id: BuyerConversation, body: ReplyNoticeBody, services: ServicesDep
) -> Response:
    """"Tell me when you've answered": the buyer's e-mail, kept with the conversation."""
    services.workflow.set_reply_notice(conversation_id=conversation_id, email=body.email)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def reply_notice_email(request: Request, conversation_id: str) -> str | None:
    """For ``console/_buyer_photos.html``: the address the buyer left, if any."""
    services: Services = request.app.state.services
    return services.workflow.reply_notice_email(conversation_id=conversation_id)


def _photo_store(services: Services) -> Callable[[bytes, str, str], dict[str, Any]]:
    def store(data: bytes, filename: str, content_type: str) -> dict[str, Any]:
        return services.buyer_photo_files.save_attachment(
            MailAttachment(filename=filename, content_type=content_type, data=data))

    return store


@photos_router.get("/console/conversations/{conversation_id}/photos/{photo_id}")
def download_buyer_photo(
    conversation_id: str, photo_id: RowId, user: ConsoleUser, services: ServicesDep
) -> Response:
    """A buyer's photo for a signed-in agent, served inertly (never run as a page)."""
    try:
        path, content_type, filename = services.workflow.buyer_photo(
            conversation_id=conversation_id, photo_id=photo_id)
    except ConversationNotFound:
        raise ApiError(404, "photo_not_found", "no such photo") from None
    data = services.buyer_photo_files.read(path)
    if data is None:
        raise ApiError(404, "photo_not_found", "the photo's file is missing")
    return file_response(
        data, media_type=content_type, filename=filename, disposition="inline",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                 "Content-Security-Policy": "default-src 'none'; sandbox"},
    )


def buyer_photos(request: Request, conversation_id: str) -> list[PhotoPublic]:
    """For ``console/_buyer_photos.html``: the conversation's photos, oldest first."""
    services: Services = request.app.state.services
    return services.workflow.buyer_photos(conversation_id=conversation_id)


def install_widget(app: FastAPI, settings: Settings) -> None:
    """Serve the widget and the demo, and open the buyer API to the configured origins."""
    app.include_router(build_widget_router(settings))
    app.include_router(photos_router)
    templates.env.globals["buyer_photos"] = buyer_photos
    templates.env.globals["reply_notice_email"] = reply_notice_email
    origins = normalise_origins(settings.widget_origins)
    if origins:
        app.add_middleware(BuyerApiCors, origins=origins)
