"""The /api/v1/articles API end to end: the real drafting pipeline on the demo KB, the real
worker, Bearer tokens from ``users create``.

Acceptance (issue 6): create an article about a topic the demo KB lacks, publish it, and a
buyer's question gets a draft citing it within seconds; edit → the next draft uses the new
text; roll back → the old text returns; the revisions list shows every step; an agent's
token gets 403 on every write; a stale edit gets 409 and overwrites nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.accounts.service import create_user
from bot.services import Services
from bot.web.app import create_app
from ingest.embedder import Embedder
from knowledge_base.models import AuditLog
from tests.kb_editor_support import (
    ENGRAVING,
    ENGRAVING_BODY,
    ENGRAVING_QUESTION,
    DemoTemplate,
    demo_services,
    demo_template,
)
from tests.workflow_support import wait_for


@pytest.fixture(scope="session")
def template(real_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    return demo_template(real_embedder, tmp_path_factory.mktemp("kb-demo"))


@pytest.fixture
def services(template: DemoTemplate, real_embedder: Embedder, tmp_path: Path) -> Iterator[Services]:
    services = demo_services(
        template, embedder=real_embedder, directory=tmp_path, worker_in_process=True
    )
    yield services
    services.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as client:
        yield client


def _token(services: Services, email: str, role: str) -> dict[str, str]:
    user = create_user(services.session_factory, email=email, role=role)
    return {"Authorization": f"Bearer {user.token}"}


@pytest.fixture
def lead(services: Services) -> dict[str, str]:
    return _token(services, "lead@example.com", "lead")


@pytest.fixture
def agent(services: Services) -> dict[str, str]:
    return _token(services, "agent@example.com", "agent")


def _ask(client: TestClient, agent: dict[str, str], text: str) -> dict[str, Any]:
    """A buyer asks through the widget API; returns the pending draft the worker writes."""
    created = client.post("/api/v1/conversations", json={"buyer_name": "Maria"})
    assert created.status_code == 201
    conversation = created.json()
    posted = client.post(
        f"/api/v1/conversations/{conversation['id']}/messages", json={"text": text},
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )
    assert posted.status_code == 202

    def drafted() -> dict[str, Any] | None:
        drafts = client.get("/api/v1/drafts?status=pending_review", headers=agent).json()
        mine = [d for d in drafts["drafts"] if d["conversation_id"] == conversation["id"]]
        return mine[0] if mine else None

    draft: dict[str, Any] = wait_for(drafted, timeout=10)
    return draft


def _cited(draft: dict[str, Any]) -> dict[str, int]:
    return {c["article_id"]: c["revision"] for c in draft["citations"]}


def test_publish_edit_rollback_each_reach_the_next_draft(
    client: TestClient, lead: dict[str, str], agent: dict[str, str]
) -> None:
    created = client.post("/api/v1/articles", json=ENGRAVING, headers=lead)
    assert created.status_code == 201
    article = created.json()
    assert (article["revision"], article["status"], article["updated_by"]) == (
        1, "draft", "lead@example.com",
    )
    assert set(article) >= {"id", "revision", "status", "title", "body", "intents",
                            "questions", "tags", "locale", "updated_by", "updated_at"}
    article_id = article["id"]

    # A draft article is not used for drafting.
    assert article_id not in _cited(_ask(client, agent, ENGRAVING_QUESTION))

    published = client.post(f"/api/v1/articles/{article_id}/publish", headers=lead)
    assert published.status_code == 200 and published.json()["status"] == "published"
    first = _ask(client, agent, ENGRAVING_QUESTION)
    assert _cited(first) == {article_id: 1}
    assert "Engraving is free" in first["text"]

    edited = client.put(
        f"/api/v1/articles/{article_id}", headers=lead,
        json={**ENGRAVING, "revision": 1, "body": ENGRAVING_BODY.replace(
            "Engraving is free", "Engraving costs £5 per item")},
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    # Publishing is a separate step: until then drafts keep using revision 1.
    assert _cited(_ask(client, agent, ENGRAVING_QUESTION)) == {article_id: 1}
    client.post(f"/api/v1/articles/{article_id}/publish", headers=lead)
    second = _ask(client, agent, ENGRAVING_QUESTION)
    assert _cited(second) == {article_id: 2}
    assert "Engraving costs £5 per item" in second["text"]
    assert "Engraving is free" not in second["text"]

    rolled = client.post(f"/api/v1/articles/{article_id}/rollback", json={"revision": 1},
                         headers=lead)
    assert rolled.status_code == 200
    assert (rolled.json()["revision"], rolled.json()["status"]) == (3, "published")
    third = _ask(client, agent, ENGRAVING_QUESTION)
    assert _cited(third) == {article_id: 3}
    assert "Engraving is free" in third["text"]

    revisions = client.get(f"/api/v1/articles/{article_id}/revisions", headers=agent).json()
    steps = [(r["revision"], r["note"], r["updated_by"]) for r in revisions["revisions"]]
    assert steps == [
        (1, "created", "lead@example.com"),
        (2, "edited", "lead@example.com"),
        (3, "rollback to revision 1", "lead@example.com"),
    ]
    assert set(revisions["revisions"][0]) >= {"revision", "title", "body", "updated_by",
                                              "updated_at", "note"}

    unpublished = client.post(f"/api/v1/articles/{article_id}/unpublish", headers=lead)
    assert unpublished.json()["status"] == "unpublished"
    assert article_id not in _cited(_ask(client, agent, ENGRAVING_QUESTION))


def test_stale_edit_is_a_conflict_and_overwrites_nothing(
    client: TestClient, lead: dict[str, str]
) -> None:
    article_id = client.post("/api/v1/articles", json=ENGRAVING, headers=lead).json()["id"]
    first = client.put(f"/api/v1/articles/{article_id}", headers=lead,
                       json={**ENGRAVING, "revision": 1, "body": "Edit by the first lead."})
    assert first.status_code == 200
    stale = client.put(f"/api/v1/articles/{article_id}", headers=lead,
                       json={**ENGRAVING, "revision": 1, "body": "Edit by the second lead."})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "revision_conflict"
    assert "revision 2" in stale.json()["error"]["message"]
    current = client.get(f"/api/v1/articles/{article_id}", headers=lead).json()
    assert (current["revision"], current["body"]) == (2, "Edit by the first lead.")
    revisions = client.get(f"/api/v1/articles/{article_id}/revisions", headers=lead).json()
    assert len(revisions["revisions"]) == 2


def test_agents_read_but_get_403_on_every_write(
    client: TestClient, lead: dict[str, str], agent: dict[str, str]
) -> None:
    article_id = client.post("/api/v1/articles", json=ENGRAVING, headers=lead).json()["id"]
    writes = [
        ("post", "/api/v1/articles", ENGRAVING),
        ("put", f"/api/v1/articles/{article_id}", {**ENGRAVING, "revision": 1}),
        ("post", f"/api/v1/articles/{article_id}/publish", None),
        ("post", f"/api/v1/articles/{article_id}/unpublish", None),
        ("post", f"/api/v1/articles/{article_id}/rollback", {"revision": 1}),
        ("delete", f"/api/v1/articles/{article_id}", None),
    ]
    for method, url, body in writes:
        response = client.request(method, url, json=body, headers=agent)
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "forbidden"
    current = client.get(f"/api/v1/articles/{article_id}", headers=agent)
    assert current.status_code == 200
    assert (current.json()["revision"], current.json()["status"]) == (1, "draft")
    listed = client.get("/api/v1/articles", headers=agent).json()["articles"]
    assert article_id in {a["id"] for a in listed}
    assert len(listed) == 38  # the 37 demo articles and this one


def test_missing_or_bad_token_is_401_and_bad_input_is_specific(
    client: TestClient, lead: dict[str, str]
) -> None:
    assert client.get("/api/v1/articles").status_code == 401
    bad = client.get("/api/v1/articles", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "invalid_token")
    missing = client.get("/api/v1/articles/no-such-article", headers=lead)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "article_not_found")
    empty = client.post("/api/v1/articles", json={"title": "", "body": "x"}, headers=lead)
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "invalid_request")
    too_many = client.post("/api/v1/articles", headers=lead, json={
        "title": "Q", "body": "B", "questions": [f"question {i}?" for i in range(11)]})
    assert too_many.status_code == 422
    not_json = client.post("/api/v1/articles", content=b"{oops", headers={
        **lead, "Content-Type": "application/json"})
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "invalid_json")
    article_id = client.post("/api/v1/articles", json=ENGRAVING, headers=lead).json()["id"]
    no_rev = client.post(f"/api/v1/articles/{article_id}/rollback", json={"revision": 9},
                         headers=lead)
    assert (no_rev.status_code, no_rev.json()["error"]["code"]) == (404, "revision_not_found")
    only_published = client.get("/api/v1/articles?status=draft", headers=lead).json()
    assert [a["id"] for a in only_published["articles"]] == [article_id]


def test_delete_removes_the_article_from_drafting_and_is_audited(
    client: TestClient, services: Services, lead: dict[str, str], agent: dict[str, str]
) -> None:
    article_id = client.post("/api/v1/articles", json=ENGRAVING, headers=lead).json()["id"]
    client.post(f"/api/v1/articles/{article_id}/publish", headers=lead)
    assert any(c.article_id == article_id for c in services.index.all_chunks())
    deleted = client.delete(f"/api/v1/articles/{article_id}", headers=lead)
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/articles/{article_id}", headers=lead).status_code == 404
    assert not any(c.article_id == article_id for c in services.index.all_chunks())
    assert article_id not in _cited(_ask(client, agent, ENGRAVING_QUESTION))
    with services.session_factory() as session:
        trail = session.execute(
            select(AuditLog.action, AuditLog.actor).where(AuditLog.entity_id == article_id)
            .order_by(AuditLog.id)
        ).all()
    assert [tuple(row) for row in trail] == [
        ("article.create", "lead@example.com"),
        ("article.publish", "lead@example.com"),
        ("article.delete", "lead@example.com"),
    ]
