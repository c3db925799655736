"""The console's users page (admins, issue 16 item 7): add a user (token shown once), see
and revoke tokens, change roles; refusals come back on the page as 4xx; every change is in
the audit trail and listed on the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.accounts.models import ApiToken, User
from bot.services import Services
from knowledge_base.models import AuditLog
from tests.factories import add_user, bearer
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in


@pytest.fixture
def admin(app: FastAPI, services: Services) -> Iterator[TestClient]:
    add_user(services.session_factory, email="admin@example.com", role="admin",
             password=TEST_PASSWORD)
    with TestClient(app, follow_redirects=False) as client:
        assert sign_in(client, "admin@example.com", next_url="/console/users").status_code == 303
        client.headers["X-CSRF-Token"] = csrf_token_in(client.get("/console/users").text)
        yield client


def _id_of(services: Services, email: str) -> int:
    with services.session_factory() as session:
        return session.execute(select(User.id).where(User.email == email)).scalar_one()


def _audit(services: Services) -> list[tuple[str, str, str]]:
    with services.session_factory() as session:
        return [(a.actor, a.action, a.entity_id)
                for a in session.execute(select(AuditLog).order_by(AuditLog.id)).scalars()]


def test_an_admin_adds_a_user_and_sees_the_token_once(
    admin: TestClient, api: TestClient, services: Services
) -> None:
    page = admin.get("/console/users")
    assert page.status_code == 200 and 'href="/console/users" aria-current="page"' in page.text

    created = admin.post("/console/users", data={"email": "Nina@Example.com", "role": "lead"})

    assert created.status_code == 200
    token = re.search(r'id="new-token">([^<]+)<', created.text)
    assert token is not None
    assert api.get("/api/v1/drafts", headers=bearer(token.group(1))).status_code == 200
    again = admin.get("/console/users")
    assert token.group(1) not in again.text
    nina = _id_of(services, "nina@example.com")
    row = re.search(rf'<tr data-user-id="{nina}">(.*?)</tr>', again.text, re.S)
    assert row is not None and "nina@example.com" in row.group(1)
    assert "<td>lead</td>" in row.group(1) and "<td>active</td>" in row.group(1)
    assert ("admin@example.com", "user.create", str(nina)) in _audit(services)
    assert "created the user" in again.text


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"email": "not an address", "role": "agent"}, 422, "not an e-mail address"),
        ({"email": "admin@example.com", "role": "agent"}, 409, "exists already"),
        ({"email": "new@example.com", "role": "boss"}, 422, "agent, lead, admin"),
        ({"email": "new@example.com", "role": "x" * 300}, 422, ""),
        ({"role": "agent"}, 422, ""),
    ],
)
def test_bad_input_is_a_specific_4xx(
    admin: TestClient, form: dict[str, str], status: int, message: str
) -> None:
    response = admin.post("/console/users", data=form)
    assert response.status_code == status
    assert message in response.text


def test_tokens_are_listed_without_secrets_and_revoked(
    admin: TestClient, api: TestClient, services: Services
) -> None:
    first = add_user(services.session_factory, email="agent@example.com", role="agent")
    user_id = _id_of(services, "agent@example.com")
    api.get("/api/v1/drafts", headers=bearer(first.token))  # sets "last used"
    issued = admin.post(f"/console/users/{user_id}/tokens", data={"label": "laptop"})
    second = re.search(r'id="new-token">([^<]+)<', issued.text)
    assert issued.status_code == 200 and second is not None

    page = admin.get(f"/console/users/{user_id}").text
    with services.session_factory() as session:
        stored = list(session.execute(select(ApiToken).where(ApiToken.user_id == user_id)
                                      .order_by(ApiToken.id)).scalars())
    assert first.token not in page and second.group(1) not in page
    assert all(t.token_hash not in page for t in stored)
    assert "laptop" in page and "created with the user" in page and "never" in page

    revoked = admin.post(f"/console/users/{user_id}/tokens/{stored[0].id}/revoke")
    twice = admin.post(f"/console/users/{user_id}/tokens/{stored[0].id}/revoke")
    elsewhere = admin.post(f"/console/users/{_id_of(services, 'admin@example.com')}/tokens/"
                           f"{stored[1].id}/revoke")
    missing = admin.post(f"/console/users/{user_id}/tokens/99999/revoke")

    assert revoked.headers["location"].endswith("done=revoked")
    assert twice.headers["location"].endswith("done=already_revoked")
    assert elsewhere.status_code == 404 and missing.status_code == 404
    assert api.get("/api/v1/drafts", headers=bearer(first.token)).status_code == 401
    assert api.get("/api/v1/drafts", headers=bearer(second.group(1))).status_code == 200
    after = admin.get(f"/console/users/{user_id}?done=revoked").text
    assert "Token revoked" in after and "revoked " in after
    actions = [a for _, a, _ in _audit(services)]
    assert actions.count("user.revoke_token") == 1 and "user.token" in actions


def test_an_admin_cannot_lock_themselves_out_here(
    admin: TestClient, services: Services
) -> None:
    me = _id_of(services, "admin@example.com")
    demoted = admin.post(f"/console/users/{me}/role", data={"role": "agent"})
    deactivated = admin.post(f"/console/users/{me}/deactivate")
    assert demoted.status_code == 409 and 'id="user-error"' in demoted.text
    assert deactivated.status_code == 409
    assert admin.get("/console/users").status_code == 200
    assert "user.set_role" not in [a for _, a, _ in _audit(services)]


def test_unknown_users_and_bad_roles(admin: TestClient, services: Services) -> None:
    add_user(services.session_factory, email="agent@example.com", role="agent")
    user_id = _id_of(services, "agent@example.com")
    assert admin.get("/console/users/99999").status_code == 404
    assert admin.post("/console/users/99999/deactivate").status_code == 404
    assert admin.post("/console/users/0/sign-out").status_code == 422
    bad = admin.post(f"/console/users/{user_id}/role", data={"role": "boss"})
    assert bad.status_code == 422 and "agent, lead, admin" in bad.text
    gone = admin.post(f"/console/users/{user_id}/deactivate")
    assert gone.headers["location"].endswith("done=deactivated")
    refused = admin.post(f"/console/users/{user_id}/tokens", data={"label": "x"})
    assert refused.status_code == 409


def test_non_admins_do_not_get_the_page_or_the_nav_link(
    app: FastAPI, services: Services
) -> None:
    add_user(services.session_factory, email="lead@example.com", role="lead",
             password=TEST_PASSWORD)
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/console/users").headers["location"].startswith("/login")
        sign_in(client, "lead@example.com")
        assert 'href="/console/users"' not in client.get("/console").text
        assert client.get("/console/users").status_code == 403
        token = csrf_token_in(client.get("/console").text)
        refused = client.post("/console/users", data={"email": "x@example.com",
                                                      "csrf_token": token})
        assert refused.status_code == 403
    assert "x@example.com" not in {e for _, _, e in _audit(services)}
