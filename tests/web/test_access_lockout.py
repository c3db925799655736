"""Access ends when an admin says so (issue 16, item 7), tried end to end through HTTP: a
revoked token, a deactivated user's cookie and token, a changed role, an idle session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot.accounts.models import User, WebSession
from bot.services import Services
from knowledge_base.clock import utcnow
from tests.factories import add_user, bearer
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in


@pytest.fixture
def browsers(app: FastAPI) -> Iterator[list[TestClient]]:
    """Separate browsers (cookie jars) on the one app."""
    opened: list[TestClient] = []
    yield opened
    for client in opened:
        client.__exit__(None, None, None)


def _browser(app: FastAPI, browsers: list[TestClient], email: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    client.__enter__()
    browsers.append(client)
    assert sign_in(client, email).status_code == 303
    return client


def _user_id(services: Services, email: str) -> int:
    with services.session_factory() as session:
        return session.execute(select(User.id).where(User.email == email)).scalar_one()


def _post_form(client: TestClient, url: str, **fields: str) -> object:
    token = csrf_token_in(client.get("/console/users").text)
    return client.post(url, data={**fields, "csrf_token": token})


@pytest.fixture
def admin(app: FastAPI, services: Services, browsers: list[TestClient]) -> TestClient:
    add_user(services.session_factory, email="admin@example.com", role="admin",
             password=TEST_PASSWORD)
    return _browser(app, browsers, "admin@example.com")


def test_a_revoked_token_is_refused_at_once(
    api: TestClient, admin: TestClient, services: Services
) -> None:
    created = add_user(services.session_factory, email="agent@example.com", role="agent")
    assert api.get("/api/v1/drafts", headers=bearer(created.token)).status_code == 200
    user_id = _user_id(services, "agent@example.com")
    page = admin.get(f"/console/users/{user_id}")
    token_id = int(page.text.split('data-token-id="')[1].split('"')[0])
    assert created.token not in page.text

    revoked = _post_form(admin, f"/console/users/{user_id}/tokens/{token_id}/revoke")

    assert revoked.status_code == 303  # type: ignore[attr-defined]
    refused = api.get("/api/v1/drafts", headers=bearer(created.token))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"


def test_a_deactivated_user_is_locked_out_on_the_next_request(
    app: FastAPI, api: TestClient, admin: TestClient, services: Services,
    browsers: list[TestClient],
) -> None:
    created = add_user(services.session_factory, email="leaver@example.com", role="agent",
                       password=TEST_PASSWORD)
    browser = _browser(app, browsers, "leaver@example.com")
    csrf = csrf_token_in(browser.get("/console").text)
    assert browser.get("/api/v1/attention", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert api.get("/api/v1/drafts", headers=bearer(created.token)).status_code == 200

    done = _post_form(admin, f"/console/users/{_user_id(services, 'leaver@example.com')}"
                             "/deactivate")

    assert done.status_code == 303  # type: ignore[attr-defined]
    assert browser.get("/console").headers["location"].startswith("/login")
    assert browser.get("/api/v1/attention").status_code == 401
    assert browser.post("/api/v1/conversations/abc/close", json={},
                        headers={"X-CSRF-Token": csrf}).status_code == 401
    assert api.get("/api/v1/drafts", headers=bearer(created.token)).status_code == 401
    again = sign_in(browser, "leaver@example.com")
    assert again.status_code == 401
    listed = admin.get("/console/users").text
    assert "leaver@example.com" in listed and "deactivated" in listed


def test_a_role_change_applies_on_the_next_request(
    app: FastAPI, api: TestClient, admin: TestClient, services: Services,
    browsers: list[TestClient],
) -> None:
    created = add_user(services.session_factory, email="lead@example.com", role="lead",
                       password=TEST_PASSWORD)
    browser = _browser(app, browsers, "lead@example.com")
    assert browser.get("/reports").status_code == 200
    user_id = _user_id(services, "lead@example.com")

    _post_form(admin, f"/console/users/{user_id}/role", role="agent")

    assert browser.get("/reports").status_code == 403
    article = {"title": "Kettles", "body": "Descale monthly."}
    assert api.post("/api/v1/articles", json=article,
                    headers=bearer(created.token)).status_code == 403
    _post_form(admin, f"/console/users/{user_id}/role", role="admin")
    assert browser.get("/console/users").status_code == 200
    assert api.post("/api/v1/articles", json=article,
                    headers=bearer(created.token)).status_code == 201


def test_signing_a_user_out_everywhere_keeps_their_api_tokens(
    app: FastAPI, api: TestClient, admin: TestClient, services: Services,
    browsers: list[TestClient],
) -> None:
    created = add_user(services.session_factory, email="agent@example.com", role="agent",
                       password=TEST_PASSWORD)
    laptop = _browser(app, browsers, "agent@example.com")
    phone = _browser(app, browsers, "agent@example.com")

    done = _post_form(admin, f"/console/users/{_user_id(services, 'agent@example.com')}"
                             "/sign-out")

    assert done.status_code == 303  # type: ignore[attr-defined]
    for browser in (laptop, phone):
        assert browser.get("/console").headers["location"].startswith("/login")
    assert api.get("/api/v1/drafts", headers=bearer(created.token)).status_code == 200
    assert _browser(app, browsers, "agent@example.com").get("/console").status_code == 200


def test_an_idle_session_is_signed_out(
    app: FastAPI, services: Services, browsers: list[TestClient]
) -> None:
    add_user(services.session_factory, email="agent@example.com", role="agent",
             password=TEST_PASSWORD)
    browser = _browser(app, browsers, "agent@example.com")
    assert browser.get("/console").status_code == 200
    idle = timedelta(minutes=services.settings.session_idle_minutes)

    def last_use(ago: timedelta) -> None:
        with services.session_factory() as session, session.begin():
            session.execute(update(WebSession).values(last_seen_at=utcnow() - ago))

    last_use(timedelta(minutes=2))  # used a couple of minutes ago: still signed in
    assert browser.get("/console").status_code == 200
    with services.session_factory() as session:
        seen = session.execute(select(WebSession.last_seen_at)).scalar_one()
    assert seen is not None and utcnow() - seen < timedelta(seconds=30)  # the use counted
    last_use(idle + timedelta(minutes=1))
    response = browser.get("/console")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
