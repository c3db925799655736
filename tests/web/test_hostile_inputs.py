"""No input gives a 500 (issue 15 §6): every route of the app, walked with hostile values.

Each path parameter, query parameter, JSON field and form field of every route in turn gets
values that used to reach the database or the encoder unchecked — NUL, lone surrogates,
invalid UTF-8, integers beyond 64 bits, non-ASCII digits — signed in as an admin (API token,
session cookie and CSRF token), so the requests get past authentication.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel

from bot.services import Services
from tests.factories import add_user, bearer, open_conversation
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in

# Already percent-encoded: they go into URLs and form bodies as they are.
URL_VALUES = ["%00", "a%00b", "%FF", "%ED%A0%80", "%C2%B2", "9" * 30, str(2**31), "-1",
              "x" * 300]
# JSON values (raw JSON text, so lone surrogates can be written).
JSON_VALUES = ['"\\ud800"', '"a\\u0000b"', str(2**70), str(2**31), "true", '""', "null", "[]"]
# Valid values by field name: each body starts valid, then one field at a time is replaced,
# so the hostile value travels as deep as a real request would take it.
JSON_SAMPLES: dict[str, Any] = {
    "buyer_name": "Ann", "locale": "en", "text": "Thanks, it arrived.", "reason": "Wrong order",
    "override_reason": "A lead checked the link and the phone number.", "note": "Looked at it.",
    "email": "new@example.com", "role": "agent", "title": "Kettle care", "body": "Descale it.",
    "intents": ["product_care"], "questions": ["How do I descale?"], "tags": ["care"],
    "revision": 1,
}
FORM_SAMPLES: dict[str, str] = {
    **{k: str(v) for k, v in JSON_SAMPLES.items() if isinstance(v, str | int)},
    "password": "wrong", "next": "/console", "view": "pending", "topics": "product_care",
    "tags": "care", "questions": "How do I descale?", "action": "save", "publish": "",
}


@pytest.fixture
def admin_client(app: FastAPI, services: Services) -> Iterator[TestClient]:
    """Signed in as an admin in the browser, with an admin API token and the CSRF header."""
    created = add_user(services.session_factory, email="admin@example.com", role="admin",
                       password=TEST_PASSWORD)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        assert sign_in(client, "admin@example.com").status_code == 303
        client.headers.update(bearer(created.token))
        client.headers["X-CSRF-Token"] = csrf_token_in(client.get("/console").text)
        yield client


def _routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path:
            for method in sorted(route.methods):
                found.append((method, context.path, route))
    return found


def _json_fields(route: APIRoute) -> list[str]:
    fields: list[str] = []
    for param in route.dependant.body_params:
        annotation = param.field_info.annotation
        for model in getattr(annotation, "__args__", (annotation,)):
            if isinstance(model, type) and issubclass(model, BaseModel):
                fields.extend(model.model_fields)
    return fields


def _form_fields(route: APIRoute) -> list[str]:
    return [p.alias for p in route.dependant.body_params
            if type(p.field_info).__name__ in ("Form", "File")]


def _is_form(route: APIRoute) -> bool:
    return any(type(p.field_info).__name__ == "Form" for p in route.dependant.body_params)


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def test_no_route_answers_500_to_hostile_input(
    app: FastAPI, admin_client: TestClient
) -> None:
    conversation = open_conversation(admin_client)
    created = admin_client.post("/api/v1/articles", json={"title": "Kettles", "body": "Hot."})
    assert created.status_code == 201
    good = {"conversation_id": conversation.id, "article_id": created.json()["id"],
            "draft_id": "1", "suggestion_id": "1"}
    failures: list[str] = []
    sent = 0

    def send(method: str, url: str, **kwargs: Any) -> None:
        nonlocal sent
        sent += 1
        response = admin_client.request(method, url, **kwargs)
        if response.status_code >= 500:
            failures.append(f"{method} {url} {kwargs.get('content', '')!r:.80} → "
                            f"{response.status_code}")

    for method, path, route in _routes(app):
        if path.endswith("/events") or path == "/logout":
            continue  # endless streams; signing out would end the walk's session
        params = get_flat_params(route.dependant)
        path_names = [p.alias for p in params if type(p.field_info).__name__ == "Path"]
        query_names = [p.alias for p in params if type(p.field_info).__name__ == "Query"]
        form = _is_form(route)
        plain_body: dict[str, Any] = (
            {"content": "", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
            if form else {"json": {}} if route.dependant.body_params else {}
        )
        base = _fill(path, good)
        for name in path_names:
            for value in URL_VALUES:
                send(method, _fill(path, {**good, name: value}), **plain_body)
        for name in query_names:
            for value in URL_VALUES:
                send(method, f"{base}?{name}={value}", **plain_body)
        fields = _json_fields(route) if not form else []
        valid = {name: JSON_SAMPLES[name] for name in fields if name in JSON_SAMPLES}
        for name in fields:
            for value in JSON_VALUES:
                others = ", ".join(f'"{k}": {json.dumps(v)}' for k, v in valid.items()
                                   if k != name)
                send(method, base, content=f'{{"{name}": {value}' + (f", {others}}}" if others
                                                                     else "}"),
                     headers={"Content-Type": "application/json"})
        form_fields = _form_fields(route)
        for name in form_fields:
            others = "".join(f"&{k}={quote(FORM_SAMPLES[k])}" for k in form_fields
                             if k != name and k in FORM_SAMPLES)
            for value in URL_VALUES:
                send(method, base, content=f"{name}={value}{others}",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert sent > 500
    assert failures == []


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/v1/drafts/%C2%B2", {}),
        ("/api/v1/drafts/" + "9" * 30, {}),
        ("/api/v1/conversations/{cid}/messages?after=" + "9" * 30, {}),
        ("/api/v1/conversations/{cid}/messages", {"method": "POST",
                                                   "content": '{"text": "hi \\ud800"}'}),
        ("/api/v1/conversations/{cid}/messages", {"method": "POST",
                                                   "content": '{"text": "hi \\u0000"}'}),
        ("/api/v1/articles", {"method": "POST",
                              "content": '{"title": "a\\u0000", "body": "b"}'}),
        ("/api/v1/articles/a%00b", {}),
    ],
)
def test_specific_hostile_values_are_422(
    admin_client: TestClient, path: str, kwargs: dict[str, Any]
) -> None:
    conversation = open_conversation(admin_client)
    kwargs = dict(kwargs)
    method = kwargs.pop("method", "GET")
    headers = {**conversation.headers, "Content-Type": "application/json"}
    if path.startswith("/api/v1/articles") or path.startswith("/api/v1/drafts"):
        headers = {"Content-Type": "application/json"}
    response = admin_client.request(method, path.replace("{cid}", conversation.id),
                                    headers=headers, **kwargs)
    assert response.status_code == 422, response.text
    assert json.loads(response.text)["error"]["code"] == "invalid_request"


def test_invalid_utf8_in_a_form_is_422_and_nothing_is_sent(
    admin_client: TestClient, services: Services
) -> None:
    """It used to become "���" in the reply the buyer received."""
    conversation = open_conversation(admin_client)
    services.workflow.receive_buyer_message(conversation_id=conversation.id,
                                            text="Where is my kettle?")
    response = admin_client.post(
        f"/console/conversations/{conversation.id}/reply", content="text=Hi%FF%FE%20Ann",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert response.status_code == 422
    assert response.text == "Form: not valid UTF-8."
    thread = services.workflow.conversation_thread(conversation_id=conversation.id)
    assert [m.role for m in thread if m.role == "seller"] == []
