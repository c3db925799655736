"""The FastAPI app factory: one place that wires services, routes and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from bot.services import Services, build_services, start_event_relay
from bot.settings import Settings
from bot.slack.http import install_slack
from bot.web.deps import LoginRequired
from bot.web.errors import error_response, install_error_handlers
from bot.web.ratelimit import SlidingWindowLimiter
from bot.web.routes_agent import router as agent_router
from bot.web.routes_articles import install_kb_editor_errors
from bot.web.routes_articles import router as articles_router
from bot.web.routes_console import router as console_router
from bot.web.routes_conversations import router as conversations_router
from bot.web.routes_health import router as health_router
from bot.web.routes_kb import router as kb_router
from bot.web.routes_widget import install_widget
from bot.web.templating import STATIC_DIR
from bot.worker import DraftingWorker

# Console and KB-editor pages may only run our own scripts and are never framed.
# The public buyer API takes a few KB of text; other routes (KB uploads) set their own limits.
PUBLIC_API_PREFIX = "/api/v1/conversations"
MAX_PUBLIC_BODY_BYTES = 64 * 1024
_CONSOLE_PREFIXES = ("/console", "/login", "/logout", "/kb")
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
    if not settings.worker_in_process:
        return None
    # Embedded (SQLite) means one worker: claims left in the database are from a dead run.
    services.workflow.resume_after_restart(release_all_claims=not on_postgres)
    worker = DraftingWorker(workflow=services.workflow, poll_seconds=settings.worker_poll_seconds)
    worker.start()
    return worker


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app; ``services`` lets tests share one embedder/index across apps."""
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build_services(settings)
        worker = start_background(app.state.services, settings)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if owned:
                app.state.services.close()

    app = FastAPI(title="draftdesk", version="0.1.0", lifespan=lifespan)
    if services is not None:
        app.state.services = services
    app.state.ip_limiter = SlidingWindowLimiter(limit=settings.rate_limit_per_ip)
    app.state.conversation_limiter = SlidingWindowLimiter(
        limit=settings.rate_limit_per_conversation
    )
    app.state.login_limiter = SlidingWindowLimiter(limit=10)
    install_error_handlers(app)
    install_kb_editor_errors(app)

    @app.exception_handler(LoginRequired)
    async def _login_required(_: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.middleware("http")
    async def _refuse_large_bodies(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refuse absurd bodies on the public API before anything parses them.
        length = request.headers.get("content-length", "")
        if (request.url.path.startswith(PUBLIC_API_PREFIX) and length.isdigit()
                and int(length) > MAX_PUBLIC_BODY_BYTES):
            return error_response(413, "payload_too_large", "the request body is too large")
        return await call_next(request)

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

    app.include_router(health_router)
    app.include_router(conversations_router)
    app.include_router(agent_router)
    app.include_router(console_router)
    install_widget(app, settings)  # /widget.js, /demo, CORS for the buyer API
    app.include_router(articles_router)
    app.include_router(kb_router)
    install_slack(app, settings)  # Slack review desk, when configured (bot/slack)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/", include_in_schema=False)
    def _home() -> Response:
        return RedirectResponse("/console", status_code=303)

    return app
