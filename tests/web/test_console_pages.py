"""The review console and sign-in through the real app: sessions, CSRF, decisions by form."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.conversations.errors import InvalidDecision
from bot.worker import DraftingWorker
from tests.factories import add_user
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in


@pytest.fixture
def console(pages: TestClient, services: Any) -> TestClient:
    """The pages, with an agent who can sign in."""
    add_user(services.session_factory, email="agent@example.com", role="agent",
             password=TEST_PASSWORD)
    return pages


def _login(client: TestClient, password: str = TEST_PASSWORD, next_url: str = "/console") -> Any:
    # Typed as a person might: sign-in ignores the e-mail's case.
    return sign_in(client, "Agent@Example.com", password=password, next_url=next_url)


def _queue_one(services: Any, text: str = "Where is my parcel?") -> tuple[str, int]:
    conversation = services.workflow.start_conversation(buyer_name="Maria")
    services.workflow.receive_buyer_message(conversation_id=conversation.id, text=text)
    DraftingWorker(workflow=services.workflow).run_until_idle()
    (draft,) = services.workflow.list_drafts()
    return conversation.id, draft.id


def test_console_requires_sign_in(console: TestClient) -> None:
    response = console.get("/console?view=escalated")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/console%3Fview%3Descalated"


def test_sign_in_sets_a_hardened_session_cookie(console: TestClient) -> None:
    response = _login(console)
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert "draftdesk_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = console.get("/console")
    assert page.status_code == 200
    assert "agent@example.com" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_wrong_password_and_missing_login_csrf_are_refused(console: TestClient) -> None:
    wrong = _login(console, password="not the right one")
    assert wrong.status_code == 401 and "do not match" in wrong.text
    no_csrf = console.post("/login", data={"email": "agent@example.com", "password": TEST_PASSWORD})
    assert no_csrf.status_code == 403
    assert "draftdesk_session" not in no_csrf.headers.get("set-cookie", "")


def test_next_never_leaves_the_site(console: TestClient) -> None:
    response = _login(console, next_url="//evil.example/steal")
    assert response.headers["location"] == "/console"


def test_queue_shows_the_draft_with_its_facts(console: TestClient, workflow_services: Any) -> None:
    _queue_one(workflow_services)
    _login(console)
    page = console.get("/console")
    assert page.status_code == 200
    html = page.text
    assert "Where is my parcel?" in html
    assert 'href="/kb/articles/shipping-times"' in html
    assert "112-3456789-1234567" in html
    assert "82%" in html
    assert 'data-due="' in html
    assert "no marketing" in html
    assert 'name="csrf_token"' in html


def test_forms_need_the_csrf_token(console: TestClient, workflow_services: Any) -> None:
    _, draft_id = _queue_one(workflow_services)
    _login(console)
    refused = console.post(f"/console/drafts/{draft_id}/approve", data={"text": "hello"})
    assert refused.status_code == 403
    assert workflow_services.workflow.get_draft(draft_id=draft_id).status == "pending_review"


def test_edit_then_approve_by_form(console: TestClient, workflow_services: Any) -> None:
    conversation_id, draft_id = _queue_one(workflow_services)
    _login(console)
    token = csrf_token_in(console.get("/console").text)
    edited = "Hi Maria,\r\n\r\nIt arrives on Friday.\r\n\r\nThe Brightwater Home team"
    response = console.post(f"/console/drafts/{draft_id}/approve",
                            data={"text": edited, "csrf_token": token, "view": "pending"})
    assert response.status_code == 303
    assert response.headers["location"] == "/console?view=pending&done=sent"
    seen = workflow_services.workflow.buyer_thread(conversation_id=conversation_id)
    assert seen[-1].role == "seller" and seen[-1].text == edited.replace("\r\n", "\n")
    assert seen[-1].text and workflow_services.workflow.list_drafts() == []
    after = console.get("/console?view=pending&done=sent")
    assert "Sent to the buyer." in after.text and "All caught up" in after.text
    twice = console.post(f"/console/drafts/{draft_id}/approve",
                         data={"text": edited, "csrf_token": token})
    assert twice.status_code == 409 and "already decided" in twice.text


def test_blocked_checks_show_the_reason_and_keep_the_edit(
    console: TestClient, workflow_services: Any
) -> None:
    _, draft_id = _queue_one(workflow_services)
    _login(console)
    token = csrf_token_in(console.get(f"/console/drafts/{draft_id}").text)
    text = "Hi Maria, here is a coupon for next time."
    blocked = console.post(f"/console/drafts/{draft_id}/approve",
                           data={"text": text, "csrf_token": token})
    assert blocked.status_code == 422
    # The failed check is named with what it found, and the agent's edit is kept.
    assert "no marketing</strong>: mentions coupon" in blocked.text and text in blocked.text
    # Agents cannot override: no reason field, a way to ask a lead, and a 403 if they try.
    assert 'name="override_reason"' not in blocked.text and "ask a lead" in blocked.text
    refused = console.post(
        f"/console/drafts/{draft_id}/approve",
        data={"text": text, "csrf_token": token,
              "override_reason": "The buyer was promised this code by phone."},
    )
    assert refused.status_code == 403 and "only a lead can send" in refused.text.lower()
    assert workflow_services.workflow.get_draft(draft_id=draft_id).status == "pending_review"


def test_a_lead_overrides_with_a_sentence(workflow_services: Any) -> None:
    _, draft_id = _queue_one(workflow_services)
    wf = workflow_services.workflow
    text = "Hi Maria, here is a coupon for next time."
    with pytest.raises(InvalidDecision):  # a word is not a reason
        wf.approve(draft_id=draft_id, actor="lead@example.com", text=text,
                   override_reason="x", may_override=True)
    sent = wf.approve(draft_id=draft_id, actor="lead@example.com", text=text,
                      override_reason="The buyer was promised this code by phone.",
                      may_override=True)
    assert sent.status == "sent"
    detail = wf.get_draft(draft_id=draft_id)
    assert detail.decided_by == "lead@example.com"


def test_reject_escalate_and_reply_by_form(console: TestClient, workflow_services: Any) -> None:
    conversation_id, draft_id = _queue_one(workflow_services)
    _login(console)
    token = csrf_token_in(console.get("/console").text)
    rejected = console.post(f"/console/drafts/{draft_id}/reject",
                            data={"reason": "wrong facts", "csrf_token": token})
    assert rejected.headers["location"].endswith("done=rejected")
    page = console.get("/console?view=attention")
    assert conversation_id in page.text
    reply = console.post(f"/console/conversations/{conversation_id}/reply",
                         data={"text": "Hi Maria, I checked: Friday.", "csrf_token": token})
    assert reply.status_code == 303
    thread = workflow_services.workflow.buyer_thread(conversation_id=conversation_id)
    assert thread[-1].text == "Hi Maria, I checked: Friday."


def test_api_accepts_the_session_cookie_with_csrf_header(
    console: TestClient, workflow_services: Any
) -> None:
    _, draft_id = _queue_one(workflow_services)
    _login(console)
    assert console.get("/api/v1/drafts").status_code == 200
    token = csrf_token_in(console.get("/console").text)
    no_header = console.post(f"/api/v1/drafts/{draft_id}/escalate")
    assert no_header.status_code == 403
    ok = console.post(f"/api/v1/drafts/{draft_id}/escalate", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["status"] == "escalated"


def test_sign_out_ends_the_session(console: TestClient) -> None:
    _login(console)
    token = csrf_token_in(console.get("/console").text)
    signed_out = console.post("/logout", data={"csrf_token": token})
    assert signed_out.status_code == 303
    assert console.get("/console").status_code == 303
