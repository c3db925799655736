"""The console's erasure page: admins only, CSRF like every console form, counts shown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from tests.factories import add_user
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in


@pytest.fixture
def pages(workflow_services: Any) -> Iterator[TestClient]:
    app = create_app(workflow_services.settings, services=workflow_services)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _signed_in(pages: TestClient, services: Any, role: str) -> TestClient:
    email = f"{role}@example.com"
    add_user(services.session_factory, email=email, role=role, password=TEST_PASSWORD)
    assert sign_in(pages, email, next_url="/console/privacy").status_code == 303
    return pages


def test_only_admins_may_open_or_post_the_erasure_form(
    pages: TestClient, workflow_services: Any
) -> None:
    assert pages.get("/console/privacy").headers["location"].startswith("/login")
    lead = _signed_in(pages, workflow_services, "lead")
    token = csrf_token_in(lead.get("/console").text)
    assert lead.get("/console/privacy").status_code == 403
    refused = lead.post("/console/privacy/erase", data={"buyer": "x", "csrf_token": token})
    assert refused.status_code == 403


def test_an_admin_erases_a_buyer_and_sees_what_was_removed(
    pages: TestClient, workflow_services: Any
) -> None:
    workflow = workflow_services.workflow
    conversation = workflow.start_conversation(buyer_name="Maria Lopez")
    workflow.receive_buyer_message(conversation_id=conversation.id, text="Where is my parcel?")
    admin = _signed_in(pages, workflow_services, "admin")
    page = admin.get("/console/privacy")
    assert page.status_code == 200 and 'id="erase-form"' in page.text

    no_token = admin.post("/console/privacy/erase", data={"buyer": conversation.id})
    erased = admin.post(
        "/console/privacy/erase",
        data={"buyer": conversation.id, "csrf_token": csrf_token_in(page.text)},
    )
    again = admin.post(
        "/console/privacy/erase",
        data={"buyer": conversation.id, "csrf_token": csrf_token_in(page.text)},
    )
    unknown = admin.post(
        "/console/privacy/erase", data={"buyer": "Maria", "csrf_token": csrf_token_in(page.text)}
    )

    assert no_token.status_code == 403
    assert erased.status_code == 200
    result = re.search(r'id="erase-result">(.*?)</div>', erased.text, re.S)
    assert result is not None and "conversations: 1" in result.group(1)
    assert "messages:" in result.group(1)
    assert "Nothing left to erase" in again.text
    assert unknown.status_code == 422 and 'id="erase-error"' in unknown.text
    assert "Maria Lopez" not in again.text
    assert workflow.conversation_thread(conversation_id=conversation.id)[0].text == ""
