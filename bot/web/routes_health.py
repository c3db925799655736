"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> dict[str, object]:
    """200 when the database answers; reports how many chunks the index holds.

    An API-only process has no index of its own (workers draft): it reports
    ``"indexed_chunks": null`` and ``"role": "api"`` rather than opening Chroma to count.
    """
    services = request.app.state.services
    with services.session_factory() as session:
        session.execute(text("SELECT 1"))
    mail = services.mail_channel.status() if services.mail_channel is not None else None
    api_only = services.settings.api_only
    return {
        "status": "ok",
        "role": "api" if api_only else "all",
        "indexed_chunks": None if api_only else services.index.count(),
        "mail": mail,
    }
