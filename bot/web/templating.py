"""Jinja2 templates shared by the console and the KB editor (``templates/base.html``).

Render with ``templates.TemplateResponse(request, "page.html", {...})`` from a route that
depends on ``ConsoleUser`` (or ``ConsoleLead``): the base template then shows the nav, the
signed-in user and a sign-out form, and every page can use ``{{ csrf_token }}`` /
``{{ csrf_field() }}`` in its forms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from bot.web.auth import CSRF_FIELD

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def _base_context(request: Request) -> dict[str, Any]:
    token = getattr(request.state, "csrf_token", "") or ""

    def csrf_field() -> Markup:
        return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')

    return {
        "current_user": getattr(request.state, "user", None),
        "csrf_token": token,
        "csrf_field": csrf_field,
        "nav_active": request.url.path.split("/")[1] if request.url.path != "/" else "",
    }


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def _short_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%d %b %H:%M UTC") if value else ""


def _percent(value: float | None) -> str:
    return f"{round((value or 0.0) * 100)}%"


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_base_context])
templates.env.filters["iso"] = _iso
templates.env.filters["short_time"] = _short_time
templates.env.filters["percent"] = _percent
