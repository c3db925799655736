"""Slack on the FastAPI app: ``POST /slack/events`` (http mode) and the desk's lifetime.

:func:`install_slack` is the one call ``create_app`` makes. It wraps the app's lifespan so
the desk starts after the shared services exist and stops before they close.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.settings import Settings
from bot.slack.config import SlackConfig

# Bolt and the desk are imported once Slack is configured: a process without Slack never
# loads them (issue 17: an API-only process is healthy in ≤ 2 s).
if TYPE_CHECKING:
    from bot.slack.desk import SlackDesk

EVENTS_PATH = "/slack/events"


def install_slack(app: FastAPI, settings: Settings) -> SlackConfig | None:
    """Run the Slack desk with ``app`` when Slack is configured; otherwise do nothing.

    Raises :class:`~bot.slack.errors.SlackNotConfigured` when a mode lacks its values.
    """
    config = SlackConfig.from_settings(settings)
    if config is None:
        return None
    from bot.slack.desk import SlackDesk

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        async with inner(running) as state:
            desk = SlackDesk.from_services(config, running.state.services)
            running.state.slack_desk = desk
            desk.start()
            try:
                yield state
            finally:
                await run_in_threadpool(desk.stop)

    app.router.lifespan_context = lifespan
    if config.mode == "http":
        from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

        @app.post(EVENTS_PATH, include_in_schema=False)
        async def slack_events(request: Request) -> Response:
            """Slack's events and interactivity, verified and dispatched by Bolt."""
            desk: SlackDesk | None = getattr(request.app.state, "slack_desk", None)
            if desk is None:
                return Response(status_code=503, content="slack desk not started")
            body = await request.body()
            # Bolt would raise on these (a 500): an unsigned-looking request is a 401.
            timestamp = request.headers.get("x-slack-request-timestamp", "")
            if not (timestamp.isascii() and timestamp.isdigit()) or not _is_utf8(body):
                return Response(status_code=401, content="invalid request")
            bolt_request = to_bolt_request(request, body)
            # Bolt is synchronous (its auth.test may call Slack): keep it off the event loop.
            bolt_response = await run_in_threadpool(desk.bolt.dispatch, bolt_request)
            return to_starlette_response(bolt_response)

    return config


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
