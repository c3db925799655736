"""The FastAPI app factory: one place that wires services, routes and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import fastapi_offline
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from bot.privacy.wiring import start_privacy_purge
from bot.services import (
    Services,
    build_services,
    start_event_relay,
    start_mail,
    start_order_sync,
)
from bot.settings import Settings
from bot.slack.http import install_slack
from bot.web.access_log import install_access_log_redaction
from bot.web.body_limit import RequestBodyLimit
from bot.web.deps import LoginRequired
from bot.web.errors import install_error_handlers
from bot.web.ratelimit import RateLimit, open_storage
from bot.web.routes_agent import router as agent_router
from bot.web.routes_articles import install_kb_editor_errors
from bot.web.routes_articles import router as articles_router
from bot.web.routes_console import router as console_router
from bot.web.routes_conversations import router as conversations_router
from bot.web.routes_desk import router as desk_router
from bot.web.routes_health import router as health_router
from bot.web.routes_kb import MAX_UPLOAD_BYTES
from bot.web.routes_kb import router as kb_router
from bot.web.routes_privacy import router as privacy_router
from bot.web.routes_reports import install_reports
from bot.web.routes_users import router as users_router
from bot.web.routes_widget import BUYER_PHOTOS_MAX_BODY, BUYER_PHOTOS_PATH, install_widget
from bot.web.templating import STATIC_DIR
from bot.web.text_guard import MalformedTextGuard
from bot.worker import DraftingWorker

# Request bodies: 64 KB (DEFAULT_MAX_BODY_BYTES) unless a path prefix here says otherwise.
# Articles are up to 200,000 characters (escaped in JSON or a form); uploads are files.
BODY_LIMITS = {
    "/api/v1/articles": 4 * 1024 * 1024,
    "/kb": 4 * 1024 * 1024,
    "/kb/upload": MAX_UPLOAD_BYTES,
    "/slack": 1024 * 1024,
    BUYER_PHOTOS_PATH: BUYER_PHOTOS_MAX_BODY,
}
# Console and KB-editor pages may only run our own scripts and are never framed.
_CONSOLE_PREFIXES = ("/console", "/login", "/logout", "/kb", "/reports")
# Swagger UI's script and style for /docs, as the fastapi-offline package ships them: the
# docs page must work on a machine without internet access (no CDN).
SWAGGER_UI_DIR = Path(fastapi_offline.__file__).parent / "static"
_HTML_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def start_background(services: Services, settings: Settings) -> DraftingWorker | None:
    """Cross-process events on PostgreSQL, and the in-process drafting worker if enabled."""
    on_postgres = start_event_relay(services)
    start_mail(services)  # the Amazon inbox's poller and sender, when configured
    start_order_sync(services)  # orders from the marketplace, when configured
    if not settings.worker_in_process:
        return None
    # Embedded (SQLite) means one worker: claims left in the database are from a dead run.
    services.workflow.resume_after_restart(release_all_claims=not on_postgres)
    worker = DraftingWorker(workflow=services.workflow, poll_seconds=settings.worker_poll_seconds,
                            batch_size=settings.worker_batch_size)
    worker.start()
    return worker


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app; ``services`` lets tests share one embedder/index across apps."""
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        install_access_log_redaction()  # after the server configured its loggers
        app.state.services = services or build_services(settings)
        worker = start_background(app.state.services, settings)
        purge = start_privacy_purge(app.state.services)  # retention (issue 16)
        try:
            yield
        finally:
            purge.stop()
            if worker is not None:
                worker.stop()
            if owned:
                app.state.services.close()

    app = FastAPI(
        title="draftdesk", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    if services is not None:
        app.state.services = services
    # Shared by every API process when the storage is Redis (see bot/web/ratelimit.py).
    limits_storage = open_storage(settings.rate_limit_storage_url)
    for name, per_minute in (
        ("ip", settings.rate_limit_per_ip),
        ("buyer", settings.rate_limit_per_buyer),
        ("conversation", settings.rate_limit_per_conversation),
        ("login_ip", settings.login_attempts_per_minute),
        ("login_email", settings.login_attempts_per_minute),
    ):
        setattr(app.state, f"{name}_limiter",
                RateLimit(storage=limits_storage, namespace=f"draftdesk:{name}",
                          per_minute=per_minute))
    install_error_handlers(app)
    install_kb_editor_errors(app)

    @app.exception_handler(LoginRequired)
    async def _login_required(_: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.middleware("http")
    async def _html_security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.url.path.startswith(_CONSOLE_PREFIXES) and response.headers.get(
            "content-type", ""
        ).startswith("text/html"):
            for name, value in _HTML_SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        return response

    # Outside the middleware above, inside the buyer API's CORS (so a 413 is readable):
    # bodies are bounded first, then malformed text anywhere is a 422.
    app.add_middleware(MalformedTextGuard)
    app.add_middleware(RequestBodyLimit, limits=BODY_LIMITS)
    app.include_router(health_router)
    app.include_router(conversations_router)
    app.include_router(agent_router)
    app.include_router(console_router)
    app.include_router(desk_router)
    app.include_router(privacy_router)
    app.include_router(users_router)
    install_widget(app, settings)  # /widget.js, /demo, CORS for the buyer API
    app.include_router(articles_router)
    app.include_router(kb_router)
    install_slack(app, settings)  # Slack review desk, when configured (bot/slack)
    install_reports(app)  # /reports, /reports.csv, quality alerts (after Slack: it posts there)
    # Before "/static": a mount matches by prefix, first come first served.
    app.mount("/static/docs", StaticFiles(directory=str(SWAGGER_UI_DIR)), name="docs-static")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="draftdesk API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/", include_in_schema=False)
    def _home() -> Response:
        return RedirectResponse("/console", status_code=303)

    return app
