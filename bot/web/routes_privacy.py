"""The console's privacy page (admins only): erase one buyer's data on request.

The same :class:`bot.privacy.service.PrivacyDesk` as ``draftdesk privacy erase``; the page
shows what was removed (counts, never the data) and the recent requests from the audit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from bot.privacy.errors import PrivacyError
from bot.privacy.models import PrivacyErasure
from bot.privacy.service import PrivacyDesk, PrivacyReport
from bot.privacy.wiring import build_privacy_desk, live_chunk_ids
from bot.web.deps import ConsoleAdmin, CsrfProtected, ServicesDep
from bot.web.templating import templates

router = APIRouter(include_in_schema=False)  # console pages, not the REST API
RECENT_REQUESTS = 20


def _desk(request: Request, services: Any) -> PrivacyDesk:
    """One desk per app (its Slack client is built once, not per request)."""
    desk: PrivacyDesk | None = getattr(request.app.state, "privacy_desk", None)
    if desk is None:
        desk = build_privacy_desk(
            services.settings,
            session_factory=services.session_factory,
            resync_index=services.resync_index,
            live_index_ids=lambda: live_chunk_ids(services),
        )
        request.app.state.privacy_desk = desk
    return desk


def _page(
    request: Request,
    services: Any,
    *,
    report: PrivacyReport | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with services.session_factory() as session:
        recent = list(
            session.scalars(
                select(PrivacyErasure)
                .where(PrivacyErasure.reason == "erase")
                .order_by(PrivacyErasure.id.desc())
                .limit(RECENT_REQUESTS)
            )
        )
    return templates.TemplateResponse(
        request,
        "console/privacy.html",
        {"report": report, "error": error, "recent": recent},
        status_code=status_code,
    )


@router.get("/console/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, user: ConsoleAdmin, services: ServicesDep) -> Response:
    """The erasure form and the latest erasure requests."""
    return _page(request, services)


@router.post("/console/privacy/erase", response_class=HTMLResponse, dependencies=[CsrfProtected])
def erase_buyer(
    request: Request,
    user: ConsoleAdmin,
    services: ServicesDep,
    buyer: Annotated[str, Form(max_length=320)],
) -> Response:
    """Erase every copy of one buyer's data (conversation id, relay address or order id)."""
    try:
        report = _desk(request, services).erase(buyer, actor=user.actor)
    except PrivacyError as exc:
        return _page(request, services, error=exc.message, status_code=exc.status)
    return _page(request, services, report=report)
