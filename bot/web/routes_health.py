"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> dict[str, object]:
    """200 when the database answers; reports how many chunks the index holds."""
    services = request.app.state.services
    with services.session_factory() as session:
        session.execute(text("SELECT 1"))
    mail = services.mail_channel.status() if services.mail_channel is not None else None
    return {"status": "ok", "indexed_chunks": services.index.count(), "mail": mail}
