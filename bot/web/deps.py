"""FastAPI dependencies as ``Annotated`` aliases (replace them in tests via dependency_overrides).

* ``ServicesDep``, ``WorkflowDep`` — the process's long-lived clients.
* ``CurrentAgent`` / ``CurrentLead`` / ``CurrentAdmin`` — the agent API: a Bearer API token,
  or the console's session cookie (then unsafe methods need the ``X-CSRF-Token`` header).
  No valid credentials → 401; a role below the minimum → 403.
* ``ConsoleUser`` / ``ConsoleLead`` / ``ConsoleAdmin`` — HTML pages: session cookie only;
  signed-out visitors are redirected to ``/login?next=…``; a browser session also ends after
  ``settings.session_idle_minutes`` without use. They set ``request.state.user`` and
  ``request.state.csrf_token`` for templates.
* ``CsrfProtected`` — put on every HTML form POST (checks the ``csrf_token`` field or header).
* ``BuyerConversation`` — the buyer's conversation id after the Bearer token check (404 else),
  counted against that buyer's rate limit; a wrong token counts against the caller's IP.
* ``PublicRateLimit`` — per-IP limit of the public endpoints without a buyer token (429 with
  Retry-After). Buyers behind one IP (an office, a mobile carrier) do not share a limit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from bot.accounts.credentials import tokens_match
from bot.accounts.service import (
    AuthenticatedUser,
    Role,
    authenticate_token,
    user_for_web_session,
)
from bot.conversations.errors import ConversationNotFound
from bot.conversations.service import Workflow
from bot.services import Services
from bot.settings import Settings
from bot.web.auth import CSRF_FIELD, CSRF_HEADER, csrf_token, session_token
from bot.web.errors import ApiError
from bot.web.ratelimit import RateLimit
from bot.web.validation import ConversationId

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """Raised by console dependencies; the app turns it into a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_workflow(services: ServicesDep) -> Workflow:
    return services.workflow


WorkflowDep = Annotated[Workflow, Depends(get_workflow)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def session_user(services: Services, token: str) -> AuthenticatedUser | None:
    """The user of a browser session token: live, not idle too long, user still active."""
    return user_for_web_session(services.session_factory, token=token,
                                idle_minutes=services.settings.session_idle_minutes)


def _session_user(request: Request, services: Services) -> AuthenticatedUser | None:
    """The signed-in browser's user (cached on the request), setting the CSRF token."""
    if hasattr(request.state, "user"):
        cached: AuthenticatedUser | None = request.state.user
        return cached
    token = session_token(request, services.settings)
    user = session_user(services, token) if token else None
    request.state.user = user
    request.state.csrf_token = csrf_token(token, services.settings) if user and token else ""
    return user


def current_agent(request: Request, services: ServicesDep) -> AuthenticatedUser:
    """Any signed-in reviewer (agent, lead or admin) of the agent API."""
    token = bearer_token(request)
    if token is not None:
        user = authenticate_token(services.session_factory, token=token)
        if user is None:
            raise ApiError(401, "invalid_token", "the API token is not valid",
                           headers={"WWW-Authenticate": "Bearer"})
        request.state.user = user
        return user
    user = _session_user(request, services)
    if user is None:
        raise ApiError(401, "not_authenticated", "an API token is required",
                       headers={"WWW-Authenticate": "Bearer"})
    if request.method not in _SAFE_METHODS and not tokens_match(
        request.headers.get(CSRF_HEADER), request.state.csrf_token
    ):
        raise ApiError(403, "csrf_failed", "the form has expired; reload the page")
    return user


CurrentAgent = Annotated[AuthenticatedUser, Depends(current_agent)]


def _require(minimum: Role) -> object:
    def dependency(user: CurrentAgent) -> AuthenticatedUser:
        if not user.has_role(minimum):
            raise ApiError(403, "forbidden", f"this needs the {minimum.value} role")
        return user

    return dependency


CurrentLead = Annotated[AuthenticatedUser, Depends(_require(Role.LEAD))]
CurrentAdmin = Annotated[AuthenticatedUser, Depends(_require(Role.ADMIN))]


def console_user(request: Request, services: ServicesDep) -> AuthenticatedUser:
    """A signed-in browser; otherwise a redirect to the login page."""
    user = _session_user(request, services)
    if user is None:
        path = request.url.path
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRequired(path + query)
    return user


ConsoleUser = Annotated[AuthenticatedUser, Depends(console_user)]


def console_lead(user: ConsoleUser) -> AuthenticatedUser:
    if not user.has_role(Role.LEAD):
        raise ApiError(403, "forbidden", "this page needs the lead role")
    return user


ConsoleLead = Annotated[AuthenticatedUser, Depends(console_lead)]


def console_admin(user: ConsoleUser) -> AuthenticatedUser:
    if not user.has_role(Role.ADMIN):
        raise ApiError(403, "forbidden", "this page needs the admin role")
    return user


ConsoleAdmin = Annotated[AuthenticatedUser, Depends(console_admin)]


async def csrf_protected(request: Request, services: ServicesDep) -> None:
    """Refuse a state-changing browser request without this session's CSRF token."""
    token = session_token(request, services.settings)
    if token is None:
        raise ApiError(403, "csrf_failed", "the form has expired; reload the page")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not tokens_match(given, csrf_token(token, services.settings)):
        raise ApiError(403, "csrf_failed", "the form has expired; reload the page")


CsrfProtected = Depends(csrf_protected)


async def buyer_conversation(
    request: Request, conversation_id: ConversationId, workflow: WorkflowDep
) -> str:
    """The conversation the buyer's token opens; 404 for a wrong or missing token.

    ``?token=`` is accepted as well because browsers' EventSource cannot send headers.
    """
    token = bearer_token(request) or request.query_params.get("token") or ""
    try:
        conversation = await run_in_threadpool(
            workflow.authenticate_buyer, conversation_id=conversation_id, token=token
        )
    except ConversationNotFound as exc:
        # Guessing tokens counts against the guesser's address.
        await run_in_threadpool(per_ip_limit, request)
        raise ApiError(404, "conversation_not_found", "no such conversation") from exc
    await run_in_threadpool(_limited, request.app.state.buyer_limiter, conversation,
                            "too many requests; try again shortly")
    return conversation


BuyerConversation = Annotated[str, Depends(buyer_conversation)]


def client_ip(request: Request) -> str:
    # The direct peer: X-Forwarded-For is not trusted unless a proxy layer sets it up.
    return request.client.host if request.client else "unknown"


def _limited(limiter: RateLimit, key: str, message: str) -> None:
    retry_after = limiter.hit(key)
    if retry_after is not None:
        raise ApiError(429, "rate_limited", message, headers={"Retry-After": str(retry_after)})


def per_ip_limit(request: Request) -> None:
    _limited(request.app.state.ip_limiter, client_ip(request),
             "too many requests; try again shortly")


PublicRateLimit = Depends(per_ip_limit)


def per_conversation_limit(request: Request, conversation_id: ConversationId) -> None:
    _limited(request.app.state.conversation_limiter, conversation_id,
             "too many messages; please wait a moment")


ConversationRateLimit = Depends(per_conversation_limit)
