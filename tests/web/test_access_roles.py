"""Roles reviewed (issue 16, item 7): every route of the app has a minimum role in one table,
and each role is walked through every route — refused below the minimum (401/403, or the
sign-in page), let through at or above it.

A new route fails ``test_every_route_is_in_the_table`` until someone decides who may use
it; a route in the table whose guard is missing or too weak fails the walk. The lead powers
inside agent routes (overriding a failed check, deciding an escalated draft) are tested
where the workflow is (tests/web/test_api_v1.py, tests/integration/test_workflow.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from bot.services import Services
from tests.factories import add_user, bearer
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in

PUBLIC, BUYER, AGENT, LEAD, ADMIN = "public", "buyer", "agent", "lead", "admin"
RANK = {AGENT: 1, LEAD: 2, ADMIN: 3}

# Who may use each route, at least. "buyer": the buyer's conversation token (staff
# credentials do not open a buyer's conversation); "public": no credentials.
MINIMUM_ROLE: dict[tuple[str, str], str] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/widget.js"): PUBLIC,
    ("GET", "/demo"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,  # CSRF-protected; ends whichever session sent it
    ("POST", "/api/v1/conversations"): PUBLIC,
    # The buyer's own conversation (widget).
    ("GET", "/api/v1/conversations/{conversation_id}"): BUYER,
    ("GET", "/api/v1/conversations/{conversation_id}/messages"): BUYER,
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): BUYER,
    ("POST", "/api/v1/conversations/{conversation_id}/order-verification"): BUYER,
    ("POST", "/api/v1/conversations/{conversation_id}/handoff"): BUYER,
    ("GET", "/api/v1/conversations/{conversation_id}/events"): BUYER,
    ("POST", "/api/v1/conversations/{conversation_id}/reply-notice"): BUYER,
    ("POST", "/api/v1/buyer-photos/{conversation_id}"): BUYER,
    # Reviewing: what every agent needs.
    ("GET", "/api/v1/drafts"): AGENT,
    ("GET", "/api/v1/drafts/{draft_id}"): AGENT,
    ("POST", "/api/v1/drafts/{draft_id}/approve"): AGENT,  # overriding checks: lead (below)
    ("POST", "/api/v1/drafts/{draft_id}/reject"): AGENT,
    ("POST", "/api/v1/drafts/{draft_id}/escalate"): AGENT,
    ("POST", "/api/v1/drafts/{draft_id}/no-response-needed"): AGENT,
    ("GET", "/api/v1/attention"): AGENT,
    ("GET", "/api/v1/events"): AGENT,
    ("POST", "/api/v1/conversations/{conversation_id}/reply"): AGENT,
    ("GET", "/api/v1/conversations/{conversation_id}/orders"): AGENT,
    ("POST", "/api/v1/conversations/{conversation_id}/orders"): AGENT,
    ("POST", "/api/v1/conversations/{conversation_id}/redraft"): AGENT,
    ("POST", "/api/v1/conversations/{conversation_id}/close"): AGENT,
    ("GET", "/api/v1/articles"): AGENT,
    ("GET", "/api/v1/articles/{article_id}"): AGENT,
    ("GET", "/api/v1/articles/{article_id}/revisions"): AGENT,
    ("GET", "/console"): AGENT,
    ("GET", "/console/queue"): AGENT,
    ("GET", "/console/drafts/{draft_id}"): AGENT,
    ("GET", "/console/conversations/{conversation_id}"): AGENT,
    ("POST", "/console/drafts/{draft_id}/approve"): AGENT,
    ("POST", "/console/drafts/{draft_id}/reject"): AGENT,
    ("POST", "/console/drafts/{draft_id}/escalate"): AGENT,
    ("POST", "/console/drafts/{draft_id}/no-response-needed"): AGENT,
    ("POST", "/console/drafts/{draft_id}/presence"): AGENT,
    ("POST", "/console/conversations/{conversation_id}/reply"): AGENT,
    ("POST", "/console/conversations/{conversation_id}/redraft"): AGENT,
    ("POST", "/console/conversations/{conversation_id}/bind-order"): AGENT,
    ("POST", "/console/conversations/{conversation_id}/close"): AGENT,
    ("POST", "/console/conversations/{conversation_id}/assign"): AGENT,
    ("GET", "/console/conversations/{conversation_id}/photos/{photo_id}"): AGENT,
    ("GET", "/console/mail"): AGENT,
    ("GET", "/console/mail/{inbound_id}/raw"): AGENT,
    ("GET", "/console/mail/{inbound_id}/attachments/{index}"): AGENT,
    ("POST", "/console/mail/outbox/{outbound_id}/retry"): AGENT,
    ("GET", "/kb"): AGENT,
    ("GET", "/kb/articles/{article_id}"): AGENT,
    ("GET", "/kb/articles/{article_id}/history"): AGENT,
    ("POST", "/kb/preview"): AGENT,
    ("GET", "/kb/lint"): AGENT,
    ("GET", "/kb/gaps"): AGENT,
    ("GET", "/kb/suggestions"): AGENT,
    # Leads: the knowledge base, canned replies, reports (and, in the workflow, escalated
    # drafts and overriding a failed check).
    ("POST", "/api/v1/articles"): LEAD,
    ("PUT", "/api/v1/articles/{article_id}"): LEAD,
    ("DELETE", "/api/v1/articles/{article_id}"): LEAD,
    ("POST", "/api/v1/articles/{article_id}/publish"): LEAD,
    ("POST", "/api/v1/articles/{article_id}/unpublish"): LEAD,
    ("POST", "/api/v1/articles/{article_id}/rollback"): LEAD,
    ("GET", "/kb/articles/new"): LEAD,
    ("POST", "/kb/articles"): LEAD,
    ("POST", "/kb/articles/{article_id}"): LEAD,
    ("POST", "/kb/articles/{article_id}/publish"): LEAD,
    ("POST", "/kb/articles/{article_id}/unpublish"): LEAD,
    ("GET", "/kb/articles/{article_id}/delete"): LEAD,
    ("POST", "/kb/articles/{article_id}/delete"): LEAD,
    ("POST", "/kb/articles/{article_id}/rollback"): LEAD,
    ("GET", "/kb/upload"): LEAD,
    ("POST", "/kb/upload"): LEAD,
    ("POST", "/kb/suggestions/{suggestion_id}/accept"): LEAD,
    ("POST", "/kb/suggestions/{suggestion_id}/dismiss"): LEAD,
    ("GET", "/console/canned"): LEAD,
    ("POST", "/console/canned"): LEAD,
    ("POST", "/console/canned/{canned_id}/delete"): LEAD,
    ("GET", "/reports"): LEAD,
    ("GET", "/reports.csv"): LEAD,
    # Admins: people's access and buyers' privacy requests.
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/console/privacy"): ADMIN,
    ("POST", "/console/privacy/erase"): ADMIN,
    ("GET", "/console/users"): ADMIN,
    ("POST", "/console/users"): ADMIN,
    ("GET", "/console/users/{user_id}"): ADMIN,
    ("POST", "/console/users/{user_id}/role"): ADMIN,
    ("POST", "/console/users/{user_id}/deactivate"): ADMIN,
    ("POST", "/console/users/{user_id}/sign-out"): ADMIN,
    ("POST", "/console/users/{user_id}/tokens"): ADMIN,
    ("POST", "/console/users/{user_id}/tokens/{token_id}/revoke"): ADMIN,
}
# Path values that pass validation but name nothing (a 404 past the guard is fine).
SAMPLE_PATH_VALUES = {"article_id": "no-such-article", "index": "0"}
NOT_WALKED = {("POST", "/logout")}  # would end the walking session


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path:
            found.update((method, context.path) for method in route.methods)
    return found


def _url(path: str) -> str:
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            value = SAMPLE_PATH_VALUES.get(name)
            if value is None:
                value = uuid.uuid4().hex if name == "conversation_id" else "999999"
            path = path.replace(part, value)
    return path


def test_every_route_is_in_the_table(app: FastAPI) -> None:
    routes = _routes(app)
    missing = sorted(routes - MINIMUM_ROLE.keys())
    stale = sorted(MINIMUM_ROLE.keys() - routes)
    assert missing == [], f"decide who may use these routes and add them to MINIMUM_ROLE: {missing}"
    assert stale == [], f"these routes are gone; remove them from MINIMUM_ROLE: {stale}"


@pytest.fixture
def client_as(app: FastAPI, services: Services) -> Iterator[object]:
    """``client_as(role)``: a client signed in (cookie, CSRF header and API token) as a user
    of that role; ``client_as(None)`` is a stranger."""
    clients: list[TestClient] = []

    def make(role: str | None) -> TestClient:
        client = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        if role is not None:
            email = f"{role}-walker@example.com"
            created = add_user(services.session_factory, email=email, role=role,
                               password=TEST_PASSWORD)
            assert sign_in(client, email).status_code == 303
            client.headers.update(bearer(created.token))
            client.headers["X-CSRF-Token"] = csrf_token_in(client.get("/console").text)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize("role", [None, AGENT, LEAD, ADMIN])
def test_each_role_reaches_exactly_the_routes_of_its_rank(
    app: FastAPI, client_as: object, role: str | None
) -> None:
    client: TestClient = client_as(role)  # type: ignore[operator]
    wrong: list[str] = []
    for method, path in sorted(_routes(app) - NOT_WALKED):
        minimum = MINIMUM_ROLE[(method, path)]
        if minimum == PUBLIC or (minimum != BUYER and path.endswith("/events")
                                 and role is not None and RANK[role] >= RANK[minimum]):
            continue  # nothing to refuse; an allowed event stream would never end
        response = client.request(method, _url(path))
        status, location = response.status_code, response.headers.get("location", "")
        to_login = status == 303 and location.startswith("/login")
        if minimum == BUYER:
            refused = status == 404 and response.json()["error"]["code"] == (
                "conversation_not_found")
            if not refused:
                wrong.append(f"{method} {path}: {status} (staff credentials opened a buyer's "
                             "conversation)")
        elif role is None or RANK[role] < RANK[minimum]:
            expected = {401, 403} if path.startswith("/api/") or role else {401, 403, 303}
            if status not in expected or (status == 303 and not to_login):
                wrong.append(f"{method} {path}: {status} {location} for {role} "
                             f"(needs {minimum})")
        elif status in (401, 403) or to_login:
            wrong.append(f"{method} {path}: {status} for {role} (allowed from {minimum})")
    assert wrong == []

