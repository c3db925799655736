"""The console's users page (admins only, issue 16 item 7): who has access and with what role,
their API tokens (never the secret, except once when issued), and who opened buyers'
records. The same library functions as ``draftdesk users …``; every change is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts import management
from bot.accounts.errors import AccountError, OwnAccount
from bot.accounts.record_views import recent_access_changes, recent_record_views
from bot.accounts.service import AuthenticatedUser, Role, create_user, deactivate_user
from bot.accounts.service import issue_api_token as issue_token
from bot.web.deps import ConsoleAdmin, CsrfProtected, ServicesDep
from bot.web.templating import templates
from bot.web.validation import RowId

router = APIRouter(include_in_schema=False)  # console pages, not the REST API
RECENT_ENTRIES = 50
DONE = {
    "role": "Role changed: it applies from the user's next request.",
    "deactivated": "Deactivated: their API tokens and browser sessions no longer work.",
    "signed_out": "Signed out of every browser.",
    "revoked": "Token revoked: it is refused from now on.",
    "already_revoked": "That token was revoked already.",
}
ACTION_LABELS = {
    "user.create": "created the user", "user.token": "issued an API token",
    "user.set_password": "set the password", "user.deactivate": "deactivated",
    "user.revoke_token": "revoked an API token", "user.set_role": "changed the role",
    "user.sign_out": "signed out of every browser",
}
RoleField = Annotated[str, Form(max_length=20)]


def _factory(services: Any) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = services.session_factory
    return factory


def _list_page(
    request: Request, services: Any, *, created: dict[str, str] | None = None,
    error: str | None = None, email: str = "", role: str = "agent", status_code: int = 200,
) -> Response:
    factory = _factory(services)
    users = management.user_summaries(factory)
    emails = {u.id: u.email for u in users}
    return templates.TemplateResponse(
        request, "console/users.html",
        {"users": users, "emails": emails, "roles": [r.value for r in Role],
         "created": created, "error": error, "email": email, "role": role,
         "views": recent_record_views(factory, limit=RECENT_ENTRIES),
         "changes": recent_access_changes(factory, limit=RECENT_ENTRIES),
         "action_labels": ACTION_LABELS},
        status_code=status_code,
    )


def _detail_page(
    request: Request, services: Any, user_id: int, *, admin: AuthenticatedUser,
    new_token: str | None = None, error: str | None = None, status_code: int = 200,
) -> Response:
    factory = _factory(services)
    person = management.user_summary(factory, user_id=user_id)
    done = DONE.get(str(request.query_params.get("done", "")))
    return templates.TemplateResponse(
        request, "console/users_detail.html",
        {"person": person, "tokens": management.api_tokens(factory, email=person.email),
         "roles": [r.value for r in Role], "is_me": person.id == admin.id,
         "new_token": new_token, "error": error, "done": done},
        status_code=status_code,
    )


def _back(user_id: int, done: str) -> Response:
    return RedirectResponse(f"/console/users/{user_id}?done={done}", status_code=303)


def _not_on_yourself(admin: AuthenticatedUser, user_id: int, what: str) -> None:
    if admin.id == user_id:
        raise OwnAccount(f"you cannot {what} yourself here: another admin (or "
                         "`draftdesk users`) can")


@router.get("/console/users", response_class=HTMLResponse)
def users_page(request: Request, admin: ConsoleAdmin, services: ServicesDep) -> Response:
    """Users with role and state, the form to add one, recent record views and changes."""
    return _list_page(request, services)


@router.post("/console/users", response_class=HTMLResponse, dependencies=[CsrfProtected])
def add_user(
    request: Request,
    admin: ConsoleAdmin,
    services: ServicesDep,
    email: Annotated[str, Form(max_length=254)],
    role: RoleField = "agent",
) -> Response:
    """Create a user; the first API token is shown on this page once."""
    try:
        created = create_user(_factory(services), email=email, role=role, actor=admin.actor)
    except AccountError as exc:
        return _list_page(request, services, error=exc.message, email=email, role=role,
                          status_code=exc.status)
    return _list_page(request, services,
                      created={"email": created.user.email, "token": created.token})


@router.get("/console/users/{user_id}", response_class=HTMLResponse)
def user_page(
    request: Request, user_id: RowId, admin: ConsoleAdmin, services: ServicesDep
) -> Response:
    """One user: role, API tokens (revocable), sign-out of every browser, deactivation."""
    return _detail_page(request, services, user_id, admin=admin)


def _act(request: Request, services: Any, user_id: int, admin: AuthenticatedUser,
         change: Callable[[management.UserSummary], str | None], done: str) -> Response:
    """Run one change on the user; an account error comes back on the user's page."""
    try:
        result = change(management.user_summary(_factory(services), user_id=user_id))
    except AccountError as exc:
        if exc.status == 404 and exc.code == "user_not_found":
            raise
        return _detail_page(request, services, user_id, admin=admin, error=exc.message,
                            status_code=exc.status)
    return _back(user_id, result or done)


@router.post("/console/users/{user_id}/role", dependencies=[CsrfProtected])
def change_role(
    request: Request, user_id: RowId, admin: ConsoleAdmin, services: ServicesDep,
    role: RoleField,
) -> Response:
    def change(person: management.UserSummary) -> None:
        _not_on_yourself(admin, person.id, "change the role of")
        management.set_role(_factory(services), email=person.email, role=role,
                            actor=admin.actor)

    return _act(request, services, user_id, admin, change, "role")


@router.post("/console/users/{user_id}/deactivate", dependencies=[CsrfProtected])
def deactivate(
    request: Request, user_id: RowId, admin: ConsoleAdmin, services: ServicesDep
) -> Response:
    def change(person: management.UserSummary) -> None:
        _not_on_yourself(admin, person.id, "deactivate")
        deactivate_user(_factory(services), email=person.email, actor=admin.actor)

    return _act(request, services, user_id, admin, change, "deactivated")


@router.post("/console/users/{user_id}/sign-out", dependencies=[CsrfProtected])
def sign_out(
    request: Request, user_id: RowId, admin: ConsoleAdmin, services: ServicesDep
) -> Response:
    """End every browser session of the user (your own too, if it is you)."""
    def change(person: management.UserSummary) -> None:
        management.sign_out_everywhere(_factory(services), email=person.email,
                                       actor=admin.actor)

    return _act(request, services, user_id, admin, change, "signed_out")


@router.post("/console/users/{user_id}/tokens", response_class=HTMLResponse,
             dependencies=[CsrfProtected])
def new_token(
    request: Request, user_id: RowId, admin: ConsoleAdmin, services: ServicesDep,
    label: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Issue another API token; shown on the page once."""
    person = management.user_summary(_factory(services), user_id=user_id)
    if not person.is_active:
        return _detail_page(request, services, user_id, admin=admin, status_code=409,
                            error="This user is deactivated: a token would not work.")
    token = issue_token(_factory(services), email=person.email, label=label.strip(),
                        actor=admin.actor)
    return _detail_page(request, services, user_id, admin=admin, new_token=token)


@router.post("/console/users/{user_id}/tokens/{token_id}/revoke", dependencies=[CsrfProtected])
def revoke_token(
    request: Request, user_id: RowId, token_id: RowId, admin: ConsoleAdmin,
    services: ServicesDep,
) -> Response:
    def change(person: management.UserSummary) -> str:
        _, changed = management.revoke_api_token(
            _factory(services), token_id=token_id, actor=admin.actor, owner_id=person.id)
        return "revoked" if changed else "already_revoked"

    return _act(request, services, user_id, admin, change, "revoked")
