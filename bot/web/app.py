"""The FastAPI app factory: one place that wires services, routes and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.services import Services, build_services
from bot.settings import Settings
from bot.web.errors import install_error_handlers
from bot.web.routes_health import router as health_router


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    """Build the app; ``services`` lets tests share one embedder/index across apps."""
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build_services(settings)
        try:
            yield
        finally:
            if owned:
                app.state.services.close()

    app = FastAPI(title="draftdesk", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(health_router)
    return app
