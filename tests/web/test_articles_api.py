"""The /api/v1/articles API end to end: the real drafting pipeline on the demo KB, the real
worker, Bearer tokens from ``users create``.

Acceptance (issue 6): create an article about a topic the demo KB lacks, publish it, and a
buyer's question gets a draft citing it within seconds; edit → the next draft uses the new
text; roll back → the old text returns; the revisions list shows every step; an agent's
token gets 403 on every write; a stale edit gets 409 and overwrites nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.accounts.service import set_password
from bot.services import Services
from ingest.embedder import Embedder
from knowledge_base.models import AuditLog
from tests.factories import open_conversation
from tests.kb_editor_support import (
    NEW_TOPIC,
    NEW_TOPIC_BODY,
    NEW_TOPIC_QUESTION,
    DemoTemplate,
    demo_services,
)
from tests.workflow_support import csrf_token_in, sign_in, wait_for


@pytest.fixture
def services(
    demo_kb_template: DemoTemplate, real_embedder: Embedder, tmp_path: Path
) -> Iterator[Services]:
    services = demo_services(
        demo_kb_template, embedder=real_embedder, directory=tmp_path, worker_in_process=True
    )
    yield services
    services.close()


def _ask(api: TestClient, agent: dict[str, str], text: str) -> dict[str, Any]:
    """A buyer asks through the widget API; returns the pending draft the worker writes."""
    conversation = open_conversation(api, buyer_name="Maria")
    posted = api.post(
        f"/api/v1/conversations/{conversation.id}/messages", json={"text": text},
        headers=conversation.headers,
    )
    assert posted.status_code == 202

    def drafted() -> dict[str, Any] | None:
        drafts = api.get("/api/v1/drafts?status=pending_review", headers=agent).json()
        mine = [d for d in drafts["drafts"] if d["conversation_id"] == conversation.id]
        return mine[0] if mine else None

    draft: dict[str, Any] = wait_for(drafted, timeout=10)
    return draft


def _cited(draft: dict[str, Any]) -> dict[str, int]:
    return {c["article_id"]: c["revision"] for c in draft["citations"]}


def test_publish_edit_rollback_each_reach_the_next_draft(
    api: TestClient, lead: dict[str, str], agent: dict[str, str]
) -> None:
    created = api.post("/api/v1/articles", json=NEW_TOPIC, headers=lead)
    assert created.status_code == 201
    article = created.json()
    assert (article["revision"], article["status"], article["updated_by"]) == (
        1, "draft", "lead@example.com",
    )
    assert set(article) >= {"id", "revision", "status", "title", "body", "intents",
                            "questions", "tags", "locale", "updated_by", "updated_at"}
    article_id = article["id"]

    # A draft article is not used for drafting (the demo KB answers with another article).
    assert article_id not in _cited(_ask(api, agent, NEW_TOPIC_QUESTION))

    published = api.post(f"/api/v1/articles/{article_id}/publish", headers=lead)
    assert published.status_code == 200 and published.json()["status"] == "published"
    first = _ask(api, agent, NEW_TOPIC_QUESTION)
    assert _cited(first) == {article_id: 1}
    assert "free of charge" in first["text"]
    detail = api.get(f"/api/v1/drafts/{first['id']}", headers=agent).json()
    assert detail["kb_revisions"] == {article_id: 1}  # each draft records what it used

    edited = api.put(
        f"/api/v1/articles/{article_id}", headers=lead,
        json={**NEW_TOPIC, "revision": 1, "body": NEW_TOPIC_BODY.replace(
            "free of charge", "for a £2 handling fee")},
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    # Publishing is a separate step: until then drafts keep using revision 1.
    assert _cited(_ask(api, agent, NEW_TOPIC_QUESTION)) == {article_id: 1}
    api.post(f"/api/v1/articles/{article_id}/publish", headers=lead)
    second = _ask(api, agent, NEW_TOPIC_QUESTION)
    assert _cited(second) == {article_id: 2}
    assert "for a £2 handling fee" in second["text"]
    assert "free of charge" not in second["text"]

    rolled = api.post(f"/api/v1/articles/{article_id}/rollback", json={"revision": 1},
                         headers=lead)
    assert rolled.status_code == 200
    assert (rolled.json()["revision"], rolled.json()["status"]) == (3, "published")
    third = _ask(api, agent, NEW_TOPIC_QUESTION)
    assert _cited(third) == {article_id: 3}
    assert "free of charge" in third["text"]

    revisions = api.get(f"/api/v1/articles/{article_id}/revisions", headers=agent).json()
    steps = [(r["revision"], r["note"], r["updated_by"]) for r in revisions["revisions"]]
    assert steps == [
        (1, "created", "lead@example.com"),
        (2, "edited", "lead@example.com"),
        (3, "rollback to revision 1", "lead@example.com"),
    ]
    assert set(revisions["revisions"][0]) >= {"revision", "title", "body", "updated_by",
                                              "updated_at", "note"}

    unpublished = api.post(f"/api/v1/articles/{article_id}/unpublish", headers=lead)
    assert unpublished.json()["status"] == "unpublished"
    assert article_id not in _cited(_ask(api, agent, NEW_TOPIC_QUESTION))


def test_stale_edit_is_a_conflict_and_overwrites_nothing(
    api: TestClient, lead: dict[str, str]
) -> None:
    article_id = api.post("/api/v1/articles", json=NEW_TOPIC, headers=lead).json()["id"]
    first = api.put(f"/api/v1/articles/{article_id}", headers=lead,
                       json={**NEW_TOPIC, "revision": 1, "body": "Edit by the first lead."})
    assert first.status_code == 200
    stale = api.put(f"/api/v1/articles/{article_id}", headers=lead,
                       json={**NEW_TOPIC, "revision": 1, "body": "Edit by the second lead."})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "revision_conflict"
    assert "revision 2" in stale.json()["error"]["message"]
    current = api.get(f"/api/v1/articles/{article_id}", headers=lead).json()
    assert (current["revision"], current["body"]) == (2, "Edit by the first lead.")
    revisions = api.get(f"/api/v1/articles/{article_id}/revisions", headers=lead).json()
    assert len(revisions["revisions"]) == 2


def test_agents_read_but_get_403_on_every_write(
    api: TestClient, lead: dict[str, str], agent: dict[str, str]
) -> None:
    article_id = api.post("/api/v1/articles", json=NEW_TOPIC, headers=lead).json()["id"]
    writes = [
        ("post", "/api/v1/articles", NEW_TOPIC),
        ("put", f"/api/v1/articles/{article_id}", {**NEW_TOPIC, "revision": 1}),
        ("post", f"/api/v1/articles/{article_id}/publish", None),
        ("post", f"/api/v1/articles/{article_id}/unpublish", None),
        ("post", f"/api/v1/articles/{article_id}/rollback", {"revision": 1}),
        ("delete", f"/api/v1/articles/{article_id}", None),
    ]
    for method, url, body in writes:
        response = api.request(method, url, json=body, headers=agent)
        assert response.status_code == 403, (method, url)
        assert response.json()["error"]["code"] == "forbidden"
    current = api.get(f"/api/v1/articles/{article_id}", headers=agent)
    assert current.status_code == 200
    assert (current.json()["revision"], current.json()["status"]) == (1, "draft")
    listed = api.get("/api/v1/articles", headers=agent).json()["articles"]
    assert article_id in {a["id"] for a in listed}
    assert len(listed) == 38  # the 37 demo articles and this one


def test_missing_or_bad_token_is_401_and_bad_input_is_specific(
    api: TestClient, lead: dict[str, str]
) -> None:
    assert api.get("/api/v1/articles").status_code == 401
    bad = api.get("/api/v1/articles", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "invalid_token")
    missing = api.get("/api/v1/articles/no-such-article", headers=lead)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "article_not_found")
    empty = api.post("/api/v1/articles", json={"title": "", "body": "x"}, headers=lead)
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "invalid_request")
    too_many = api.post("/api/v1/articles", headers=lead, json={
        "title": "Q", "body": "B", "questions": [f"question {i}?" for i in range(11)]})
    assert too_many.status_code == 422
    not_json = api.post("/api/v1/articles", content=b"{oops", headers={
        **lead, "Content-Type": "application/json"})
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "invalid_json")
    article_id = api.post("/api/v1/articles", json=NEW_TOPIC, headers=lead).json()["id"]
    no_rev = api.post(f"/api/v1/articles/{article_id}/rollback", json={"revision": 9},
                         headers=lead)
    assert (no_rev.status_code, no_rev.json()["error"]["code"]) == (404, "revision_not_found")
    only_published = api.get("/api/v1/articles?status=draft", headers=lead).json()
    assert [a["id"] for a in only_published["articles"]] == [article_id]


def test_delete_removes_the_article_from_drafting_and_is_audited(
    api: TestClient, services: Services, lead: dict[str, str], agent: dict[str, str]
) -> None:
    article_id = api.post("/api/v1/articles", json=NEW_TOPIC, headers=lead).json()["id"]
    api.post(f"/api/v1/articles/{article_id}/publish", headers=lead)
    assert any(c.article_id == article_id for c in services.index.all_chunks())
    deleted = api.delete(f"/api/v1/articles/{article_id}", headers=lead)
    assert deleted.status_code == 204
    assert api.get(f"/api/v1/articles/{article_id}", headers=lead).status_code == 404
    assert not any(c.article_id == article_id for c in services.index.all_chunks())
    assert article_id not in _cited(_ask(api, agent, NEW_TOPIC_QUESTION))
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


def test_an_agents_substantial_edit_becomes_a_suggestion_a_lead_accepts(
    api: TestClient, services: Services, lead: dict[str, str], agent: dict[str, str]
) -> None:
    question = "How long does standard delivery take?"
    draft = _ask(api, agent, question)
    assert _cited(draft) == {"delivery-times": 1}
    quoted = ("After that, standard delivery takes 3–5 business days, expedited takes 2 "
              "business days, and one-day delivery takes 1 business day where it is offered.")
    assert quoted in draft["text"], draft["text"]
    corrected = ("Since March, standard delivery takes 2–4 business days and expedited "
                 "delivery takes 1–2 business days; we no longer offer one-day delivery.")
    sent = api.post(f"/api/v1/drafts/{draft['id']}/approve", headers=agent,
                       json={"text": draft["text"].replace(quoted, corrected),
                             # The figures are not in the KB yet, so the grounding check
                             # blocks until the agent says why: exactly what the KB should learn.
                             "override_reason": "delivery times changed in March"})
    assert sent.status_code == 200, sent.text

    set_password(services.session_factory, email="lead@example.com", password="lead password 1")
    sign_in(api, "lead@example.com", password="lead password 1", next_url="/kb/suggestions")
    page = api.get("/kb/suggestions")
    assert page.status_code == 200
    [suggestion_id] = re.findall(r'id="suggestion-(\d+)"', page.text)
    assert "we no longer offer one-day delivery" in page.text
    accepted = api.post(f"/kb/suggestions/{suggestion_id}/accept",
                           data={"csrf_token": csrf_token_in(page.text), "publish": "yes"})
    assert accepted.status_code == 200  # the test api follows the redirect
    article = api.get("/api/v1/articles/delivery-times", headers=lead).json()
    assert (article["revision"], article["published_revision"]) == (2, 2)
    assert corrected in article["body"]
    assert "After that, standard delivery takes 3–5" not in article["body"]

    again = _ask(api, agent, question)
    assert _cited(again) == {"delivery-times": 2}
    assert corrected in again["text"]
