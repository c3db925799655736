"""REST API v1 through the real app (TestClient): the acceptance flow, auth, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.web.app import create_app
from bot.worker import DraftingWorker
from tests.factories import add_user, bearer, open_conversation


def _drain(services: Any) -> int:
    return DraftingWorker(workflow=services.workflow).run_until_idle()


def _error(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return str(body["error"]["code"])


def test_acceptance_flow(api: TestClient, workflow_services: Any, agent: dict[str, str]) -> None:
    conversation_id, token = open_conversation(api, buyer_name="Maria", locale="en")
    buyer = bearer(token)
    posted = api.post(f"/api/v1/conversations/{conversation_id}/messages",
                      json={"text": "Where is my parcel?"}, headers=buyer)
    assert posted.status_code == 202
    body = posted.json()
    assert body["status"] == "awaiting_draft" and body["ack"]["text"].startswith("Thanks, Maria!")
    assert _drain(workflow_services) == 1

    drafts = api.get("/api/v1/drafts?status=pending_review", headers=agent)
    assert drafts.status_code == 200
    (draft,) = drafts.json()["drafts"]
    assert {"id", "conversation_id", "message_id", "text", "citations", "confidence", "handoff",
            "checks", "status", "due_at"} <= set(draft)
    assert draft["conversation_id"] == conversation_id and draft["message_id"] == body["id"]
    assert draft["status"] == "pending_review"

    approved = api.post(f"/api/v1/drafts/{draft['id']}/approve", headers=agent)
    assert approved.status_code == 200
    assert approved.json()["status"] == "sent"
    messages = api.get(f"/api/v1/conversations/{conversation_id}/messages", headers=buyer)
    assert messages.status_code == 200
    listed = messages.json()["messages"]
    assert [m["role"] for m in listed] == ["buyer", "system", "seller"]
    assert listed[-1]["text"] == draft["text"]
    assert listed[-1]["id"] == approved.json()["message_id"]
    assert set(listed[0]) == {"id", "role", "text", "created_at"}

    again = api.post(f"/api/v1/drafts/{draft['id']}/approve", headers=agent)
    assert again.status_code == 409 and _error(again) == "draft_already_decided"
    assert len(api.get(f"/api/v1/conversations/{conversation_id}/messages",
                       headers=buyer).json()["messages"]) == 3

    other_id, _ = open_conversation(api)
    wrong = api.get(f"/api/v1/conversations/{other_id}/messages", headers=buyer)
    assert wrong.status_code == 404 and _error(wrong) == "conversation_not_found"
    assert api.get("/api/v1/drafts").status_code == 401


def test_buyer_token_is_required_and_never_reveals_existence(api: TestClient) -> None:
    conversation_id, token = open_conversation(api)
    buyer = bearer(token)
    for method, path in [("get", ""), ("get", "/messages"), ("post", "/handoff"),
                         ("get", "/events")]:
        url = f"/api/v1/conversations/{conversation_id}{path}"
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            response = getattr(api, method)(url, headers=headers)
            assert response.status_code == 404, (method, path)
            assert _error(response) == "conversation_not_found"
    unknown = api.get("/api/v1/conversations/does-not-exist/messages", headers=buyer)
    assert unknown.status_code == 404
    posted = api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "hi"})
    assert posted.status_code == 404


def test_agent_endpoints_need_a_valid_token_and_the_right_role(
    api: TestClient, workflow_services: Any, agent: dict[str, str], lead: dict[str, str]
) -> None:
    assert _error(api.get("/api/v1/drafts")) == "not_authenticated"
    bad = api.get("/api/v1/drafts", headers={"Authorization": "Bearer ddk_nope"})
    assert bad.status_code == 401 and _error(bad) == "invalid_token"
    assert bad.headers["www-authenticate"] == "Bearer"
    assert api.post("/api/v1/drafts/1/approve").status_code == 401

    forbidden = api.post("/api/v1/users", json={"email": "x@example.com"}, headers=agent)
    assert forbidden.status_code == 403 and _error(forbidden) == "forbidden"
    admin = bearer(add_user(workflow_services.session_factory, email="admin@example.com",
                            role="admin").token)
    created = api.post("/api/v1/users", json={"email": "New@Example.com", "role": "lead"},
                       headers=admin)
    assert created.status_code == 201
    assert created.json()["email"] == "new@example.com"
    new_token = bearer(created.json()["token"])
    assert api.get("/api/v1/drafts", headers=new_token).status_code == 200
    duplicate = api.post("/api/v1/users", json={"email": "new@example.com"}, headers=admin)
    assert duplicate.status_code == 409 and _error(duplicate) == "user_exists"

    conversation_id, token = open_conversation(api)
    buyer = bearer(token)
    api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Refund?"},
             headers=buyer)
    _drain(workflow_services)
    (draft,) = api.get("/api/v1/drafts", headers=agent).json()["drafts"]
    escalated = api.post(f"/api/v1/drafts/{draft['id']}/escalate", json={"note": "big refund"},
                         headers=agent)
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    listed = api.get("/api/v1/drafts?status=escalated", headers=agent).json()["drafts"]
    assert [d["id"] for d in listed] == [draft["id"]]
    by_agent = api.post(f"/api/v1/drafts/{draft['id']}/approve", headers=agent)
    assert by_agent.status_code == 403 and _error(by_agent) == "draft_escalated_to_lead"
    by_lead = api.post(f"/api/v1/drafts/{draft['id']}/approve", headers=lead)
    assert by_lead.status_code == 200


def test_draft_decisions_and_manual_reply(
    api: TestClient, workflow_services: Any, agent: dict[str, str]
) -> None:
    conversation_id, token = open_conversation(api)
    buyer = bearer(token)
    api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Hello"},
             headers=buyer)
    _drain(workflow_services)
    (draft,) = api.get("/api/v1/drafts", headers=agent).json()["drafts"]
    detail = api.get(f"/api/v1/drafts/{draft['id']}", headers=agent).json()
    assert detail["order"]["order_id"] == "112-3456789-1234567"
    assert detail["verdicts"][0]["kind"] == "return"
    assert [m["role"] for m in detail["thread"]] == ["buyer", "system"]

    no_reason = api.post(f"/api/v1/drafts/{draft['id']}/reject", json={"reason": ""},
                         headers=agent)
    assert no_reason.status_code == 422 and _error(no_reason) == "reason_required"
    missing = api.post(f"/api/v1/drafts/{draft['id']}/reject", json={}, headers=agent)
    assert missing.status_code == 422 and _error(missing) == "invalid_request"
    rejected = api.post(f"/api/v1/drafts/{draft['id']}/reject", json={"reason": "wrong policy"},
                        headers=agent)
    assert rejected.json() == {"draft_id": draft["id"], "status": "rejected", "message_id": None}
    attention = api.get("/api/v1/attention", headers=agent).json()
    assert [a["conversation_id"] for a in attention] == [conversation_id]

    reply = api.post(f"/api/v1/conversations/{conversation_id}/reply",
                     json={"text": "Hi, I looked into it myself."}, headers=agent)
    assert reply.status_code == 200 and reply.json()["status"] == "sent"
    seen = api.get(f"/api/v1/conversations/{conversation_id}/messages", headers=buyer).json()
    assert seen["messages"][-1]["text"] == "Hi, I looked into it myself."

    api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Thanks!"},
             headers=buyer)
    _drain(workflow_services)
    (second,) = api.get("/api/v1/drafts", headers=agent).json()["drafts"]
    done = api.post(f"/api/v1/drafts/{second['id']}/no-response-needed", headers=agent)
    assert done.status_code == 200 and done.json()["status"] == "no_response_needed"
    status = api.get(f"/api/v1/conversations/{conversation_id}", headers=buyer).json()
    assert status == {"id": conversation_id, "state": "answered", "needs_person": False,
                      "awaiting_reply": False}


def test_unknown_draft_ids_are_404(api: TestClient, agent: dict[str, str]) -> None:
    for path in ("", "/approve"):
        method = api.get if not path else api.post
        response = method(f"/api/v1/drafts/999999{path}", headers=agent)
        assert response.status_code == 404 and _error(response) == "draft_not_found"


@pytest.mark.parametrize("raw", ["abc", "1e3", "-1", "0", "²", "9" * 30])
def test_malformed_draft_ids_are_422(api: TestClient, agent: dict[str, str], raw: str) -> None:
    for path in ("", "/approve"):
        method = api.get if not path else api.post
        response = method(f"/api/v1/drafts/{raw}{path}", headers=agent)
        assert response.status_code == 422 and _error(response) == "invalid_request"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"text": ""}}, 422, "message_empty"),
        ({"json": {"text": "   "}}, 422, "message_empty"),
        ({"json": {"text": "x" * 4001}}, 422, "message_too_long"),
        ({"json": {"text": "bell\u0007"}}, 422, "message_control_characters"),
        ({"json": {"text": 42}}, 422, "invalid_request"),
        ({"json": {}}, 422, "invalid_request"),
        ({"json": {"text": "hi", "admin": True}}, 422, "invalid_request"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400,
         "invalid_json"),
        ({"content": b"x" * 70_000, "headers": {"Content-Type": "application/json"}}, 413,
         "payload_too_large"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(
    api: TestClient, kwargs: dict[str, Any], status: int, code: str
) -> None:
    conversation_id, token = open_conversation(api)
    buyer = bearer(token)
    kwargs = dict(kwargs)  # the parameters are shared by every backend's run
    headers = {**buyer, **kwargs.pop("headers", {})}
    response = api.post(f"/api/v1/conversations/{conversation_id}/messages", headers=headers,
                        **kwargs)
    assert response.status_code == status
    assert _error(response) == code
    listed = api.get(f"/api/v1/conversations/{conversation_id}/messages", headers=buyer)
    assert listed.json() == {"messages": []}


def test_conversation_creation_validates_its_fields(api: TestClient) -> None:
    assert api.post("/api/v1/conversations").status_code == 201
    assert api.post("/api/v1/conversations", json={"locale": "not a locale!"}).status_code == 422
    assert _error(api.post("/api/v1/conversations", json={"buyer_name": "x" * 121})) == (
        "invalid_request"
    )
    control = api.post("/api/v1/conversations", json={"buyer_name": "Eve\u0000"})
    assert control.status_code == 422


def test_handoff_is_idempotent_and_visible_on_drafts(
    api: TestClient, workflow_services: Any, agent: dict[str, str]
) -> None:
    conversation_id, token = open_conversation(api)
    buyer = bearer(token)
    api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Help"},
             headers=buyer)
    _drain(workflow_services)
    for _ in range(2):
        response = api.post(f"/api/v1/conversations/{conversation_id}/handoff", headers=buyer)
        assert response.status_code == 202
        assert response.json()["needs_person"] is True
    (draft,) = api.get("/api/v1/drafts", headers=agent).json()["drafts"]
    assert draft["needs_person"] is True


def test_rate_limits_answer_429_with_retry_after(workflow_services: Any) -> None:
    settings = workflow_services.settings.model_copy(
        update={"rate_limit_per_conversation": 2, "rate_limit_per_ip": 6}
    )
    with TestClient(create_app(settings, services=workflow_services)) as api:
        conversation_id, token = open_conversation(api)
        buyer = bearer(token)
        url = f"/api/v1/conversations/{conversation_id}/messages"
        assert api.post(url, json={"text": "one"}, headers=buyer).status_code == 202
        assert api.post(url, json={"text": "two"}, headers=buyer).status_code == 202
        limited = api.post(url, json={"text": "three"}, headers=buyer)
        assert limited.status_code == 429 and _error(limited) == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        texts = [m["text"] for m in api.get(url, headers=buyer).json()["messages"]]
        assert "three" not in texts
        # 6 requests per minute per IP without a buyer token: 1 so far (the buyer's requests
        # count for the buyer), so five more are fine and the next refused.
        for _ in range(5):
            assert api.post("/api/v1/conversations").status_code == 201
        per_ip = api.post("/api/v1/conversations")
        assert per_ip.status_code == 429 and "retry-after" in per_ip.headers


def test_openapi_docs_are_served(api: TestClient) -> None:
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/conversations", "/api/v1/conversations/{conversation_id}/messages",
                 "/api/v1/drafts", "/api/v1/drafts/{draft_id}/approve",
                 "/api/v1/conversations/{conversation_id}/handoff"):
        assert path in paths


def test_only_a_lead_overrides_a_blocking_check(
    api: TestClient, workflow_services: Any, agent: dict[str, str], lead: dict[str, str]
) -> None:
    """Issue 15, finding 1: an agent sending a coupon with a one-character reason was sent."""
    conversation_id, token = open_conversation(api)
    api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "Discount?"},
             headers=bearer(token))
    _drain(workflow_services)
    (draft,) = api.get("/api/v1/drafts", headers=agent).json()["drafts"]
    coupon = {"text": "Hi! Here is 20% off with a coupon.", "override_reason": "x"}
    by_agent = api.post(f"/api/v1/drafts/{draft['id']}/approve", json=coupon, headers=agent)
    assert by_agent.status_code == 403 and _error(by_agent) == "override_requires_lead"
    short = api.post(f"/api/v1/drafts/{draft['id']}/approve", json=coupon, headers=lead)
    assert short.status_code == 422 and _error(short) == "invalid_decision"
    reasoned = {**coupon, "override_reason": "The buyer was promised this coupon by our team."}
    by_lead = api.post(f"/api/v1/drafts/{draft['id']}/approve", json=reasoned, headers=lead)
    assert by_lead.status_code == 200 and by_lead.json()["status"] == "sent"
