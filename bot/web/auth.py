"""Browser sign-in plumbing: the signed session cookie, CSRF tokens, the login CSRF cookie.

The session cookie carries a random token signed with ``settings.secret_key``; the database
keeps only its sha256 (so sessions can be revoked). The CSRF token of a session is derived
from it with HMAC, so nothing else is stored. Before sign-in, the login form is protected
with a double-submit cookie.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from bot.accounts.credentials import csrf_token_for, sign, unsign
from bot.settings import Settings

SESSION_COOKIE = "draftdesk_session"
LOGIN_CSRF_COOKIE = "draftdesk_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _secure(settings: Settings) -> bool:
    return settings.public_url.startswith("https://")


def session_token(request: Request, settings: Settings) -> str | None:
    """The raw session token from a correctly signed cookie, else None."""
    signed = request.cookies.get(SESSION_COOKIE)
    if not signed:
        return None
    return unsign(signed, secret=_secret(settings))


def set_session_cookie(
    response: Response, *, token: str, settings: Settings, max_age_seconds: int
) -> None:
    response.set_cookie(
        SESSION_COOKIE, sign(token, secret=_secret(settings)), max_age=max_age_seconds,
        httponly=True, samesite="lax", secure=_secure(settings), path="/",
    )


def clear_session_cookie(response: Response, *, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_secure(settings))


def csrf_token(token: str, settings: Settings) -> str:
    """The CSRF token forms and ``X-CSRF-Token`` headers must carry for this session."""
    return csrf_token_for(token, secret=_secret(settings))


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_login_csrf_cookie(response: Response, *, value: str, settings: Settings) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE, value, max_age=3600, httponly=True, samesite="strict",
        secure=_secure(settings), path="/login",
    )
