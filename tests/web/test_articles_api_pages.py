"""The /kb editor pages through the real app (fast: fake drafter, embedder and index).

Sign-in, CSRF on every form, leads edit and agents read, stale-edit conflicts, history and
rollback, delete with confirmation, uploads, the preview endpoint, gaps and suggestions.
Runs on SQLite, and on PostgreSQL too when DRAFTDESK_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient

from knowledge_base import repository as kb
from knowledge_base.db import transaction
from knowledge_base.schemas import ArticleCreate
from tests.factories import add_draft, add_user, pdf_bytes
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in

WARRANTY = (
    "Electric kettles have a 2-year warranty. Cookware has a 1-year warranty.\n\n"
    "## How to claim\nSend us a message with a photo of the problem.\n"
)


@pytest.fixture
def app_client(pages: TestClient, services: Any) -> TestClient:
    """The pages, with a lead and an agent who can sign in."""
    for email, role in (("lead@example.com", "lead"), ("agent@example.com", "agent")):
        add_user(services.session_factory, email=email, role=role, password=TEST_PASSWORD)
    return pages


def _login(client: TestClient, email: str) -> None:
    assert sign_in(client, email, next_url="/kb").status_code == 303


@pytest.fixture
def lead(app_client: TestClient) -> TestClient:
    """Signed in as a lead (here a browser, not the conftest's API token)."""
    _login(app_client, "lead@example.com")
    return app_client


@pytest.fixture
def agent(app_client: TestClient) -> TestClient:
    """Signed in as an agent (here a browser, not the conftest's API token)."""
    _login(app_client, "agent@example.com")
    return app_client


def _csrf(client: TestClient, path: str = "/kb") -> str:
    return csrf_token_in(client.get(path).text)


def _article_form(csrf: str, **fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": csrf, "title": "Engraving", "body": "We engrave **knives** for free.",
        "topics": "place_order", "tags": "engraving, gifts", "locale": "en",
        "questions": ["Can you engrave my knife?", "Is engraving free?", ""],
        "action": "save",
    }
    form.update(fields)
    return form


def _create(client: TestClient, **fields: Any) -> str:
    response = client.post("/kb/articles", data=_article_form(_csrf(client), **fields))
    assert response.status_code == 303, response.text
    return urlparse(response.headers["location"]).path.rsplit("/", 1)[-1]


def _article(services: Any, article_id: str) -> Any:
    with services.session_factory() as session:
        return kb.to_public(kb.get_article(session, article_id=article_id))


def test_pages_need_sign_in(app_client: TestClient) -> None:
    for path in ("/kb", "/kb/articles/new", "/kb/gaps", "/kb/suggestions", "/kb/upload"):
        response = app_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/kb")


def test_lead_creates_edits_publishes_rolls_back_and_deletes(
    lead: TestClient, workflow_services: Any
) -> None:
    page = lead.get("/kb/articles/new")
    assert page.status_code == 200
    assert page.text.count('name="questions"') == 10
    assert "default-src 'self'" in page.headers["content-security-policy"]

    article_id = _create(lead)
    created = _article(workflow_services, article_id)
    assert (created.revision, created.status) == (1, "draft")
    assert created.updated_by == "lead@example.com"
    assert created.intents == ["place_order"] and created.tags == ["engraving", "gifts"]
    assert created.questions == ["Can you engrave my knife?", "Is engraving free?"]
    editor = lead.get(f"/kb/articles/{article_id}?done=created")
    assert "Saved as a draft" in editor.text
    assert "<strong>knives</strong>" in editor.text  # the server-rendered preview

    csrf = _csrf(lead)
    published = lead.post(f"/kb/articles/{article_id}/publish", data={"csrf_token": csrf})
    assert published.status_code == 303
    assert {c.article_id for c in workflow_services.index.all_chunks()} == {article_id}

    saved = lead.post(f"/kb/articles/{article_id}", data=_article_form(
        csrf, revision="1", body="Engraving costs £5.", action="publish"))
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=published")
    assert _article(workflow_services, article_id).revision == 2
    assert any("£5" in c.text for c in workflow_services.index.all_chunks())

    history = lead.get(f"/kb/articles/{article_id}/history")
    assert history.status_code == 200
    assert "<del>We engrave **knives** for free.</del>" in history.text
    assert "Engraving costs £5." in history.text
    assert 'data-rollback="1"' in history.text

    rolled = lead.post(f"/kb/articles/{article_id}/rollback",
                       data={"csrf_token": csrf, "revision": "1"})
    assert rolled.status_code == 303
    after = _article(workflow_services, article_id)
    assert (after.revision, after.published_revision, after.body) == (
        3, 3, "We engrave **knives** for free.")
    assert not any("£5" in c.text for c in workflow_services.index.all_chunks())

    confirm = lead.get(f"/kb/articles/{article_id}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    deleted = lead.post(f"/kb/articles/{article_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/kb?done=deleted"
    gone = lead.get(f"/kb/articles/{article_id}")
    assert gone.status_code == 404 and "No such article" in gone.text
    api_gone = lead.get(f"/api/v1/articles/{article_id}", headers={"X-CSRF-Token": csrf})
    assert api_gone.json()["error"]["code"] == "article_not_found"
    assert workflow_services.index.all_chunks() == []


def test_stale_edit_shows_the_conflict_and_keeps_both_texts(
    lead: TestClient, workflow_services: Any
) -> None:
    article_id = _create(lead)
    csrf = _csrf(lead)
    first = lead.post(f"/kb/articles/{article_id}",
                      data=_article_form(csrf, revision="1", body="The first lead's text."))
    assert first.status_code == 303
    stale = lead.post(f"/kb/articles/{article_id}",
                      data=_article_form(csrf, revision="1", body="The second lead's text."))
    assert stale.status_code == 409
    assert "Someone else saved revision 2" in stale.text
    assert "The second lead&#39;s text." in stale.text  # kept in the editor
    assert 'name="revision" value="2"' in stale.text  # re-based: saving again is deliberate
    assert _article(workflow_services, article_id).body == "The first lead's text."
    again = lead.post(f"/kb/articles/{article_id}",
                      data=_article_form(csrf, revision="2", body="The second lead's text."))
    assert again.status_code == 303
    assert _article(workflow_services, article_id).revision == 3


def test_invalid_form_is_shown_again_with_a_readable_message(lead: TestClient) -> None:
    csrf = _csrf(lead)
    response = lead.post("/kb/articles", data=_article_form(csrf, title="  "))
    assert response.status_code == 422
    assert "Title: cannot be empty" in response.text
    too_many = lead.post("/kb/articles", data=_article_form(
        csrf, questions=[f"Question number {i}?" for i in range(11)]))
    assert too_many.status_code == 422 and "at most 10" in too_many.text


def test_every_form_needs_the_csrf_token(lead: TestClient, workflow_services: Any) -> None:
    article_id = _create(lead)
    attempts = [
        ("/kb/articles", _article_form("")),
        (f"/kb/articles/{article_id}", _article_form("", revision="1")),
        (f"/kb/articles/{article_id}/publish", {}),
        (f"/kb/articles/{article_id}/unpublish", {}),
        (f"/kb/articles/{article_id}/rollback", {"revision": "1"}),
        (f"/kb/articles/{article_id}/delete", {}),
        ("/kb/preview", {"body": "x"}),
    ]
    for path, data in attempts:
        data = {k: v for k, v in data.items() if k != "csrf_token"}
        response = lead.post(path, data=data)
        assert response.status_code == 403, path
    after = _article(workflow_services, article_id)
    assert (after.revision, after.status) == (1, "draft")
    with workflow_services.session_factory() as session:
        assert len(kb.list_articles(session)) == 1


def test_agents_read_but_cannot_change_anything(
    agent: TestClient, workflow_services: Any
) -> None:
    with transaction(workflow_services.session_factory) as session:
        kb.create_article(session, content=ArticleCreate(title="Our warranty", body=WARRANTY),
                          actor="lead@example.com", publish=True)
    listing = agent.get("/kb")
    assert listing.status_code == 200
    assert "Our warranty" in listing.text and "New article" not in listing.text
    view = agent.get("/kb/articles/our-warranty")
    assert view.status_code == 200
    assert "<h2>How to claim</h2>" in view.text and 'id="kb-editor"' not in view.text
    assert agent.get("/kb/articles/our-warranty/history").status_code == 200
    assert agent.get("/kb/articles/new").status_code == 403
    assert "Only leads and admins" in agent.get("/kb/upload").text
    csrf = _csrf(agent)
    for path, data in [
        ("/kb/articles", _article_form(csrf)),
        ("/kb/articles/our-warranty", _article_form(csrf, revision="1")),
        ("/kb/articles/our-warranty/unpublish", {"csrf_token": csrf}),
        ("/kb/articles/our-warranty/rollback", {"csrf_token": csrf, "revision": "1"}),
        ("/kb/articles/our-warranty/delete", {"csrf_token": csrf}),
    ]:
        assert agent.post(path, data=data).status_code == 403, path
    current = _article(workflow_services, "our-warranty")
    assert (current.revision, current.status) == (1, "published")


def test_preview_is_rendered_and_sanitised_on_the_server(lead: TestClient) -> None:
    csrf = _csrf(lead)
    response = lead.post(
        "/kb/preview", headers={"X-CSRF-Token": csrf},
        data={"body": "# Hi\n\n<script>alert(1)</script> [x](javascript:alert(2)) **ok**"},
    )
    assert response.status_code == 200
    assert "<h1>Hi</h1>" in response.text and "<strong>ok</strong>" in response.text
    assert "<script" not in response.text and 'href="javascript' not in response.text


def test_upload_creates_drafts_and_a_bad_file_imports_nothing(
    lead: TestClient, workflow_services: Any
) -> None:
    csrf = _csrf(lead)
    bad = lead.post("/kb/upload", data={"csrf_token": csrf}, files=[
        ("files", ("gift-wrap.md", b"# Gift wrap\n\nWe wrap gifts.", "text/markdown")),
        ("files", ("scan.pdf", b"%PDF-1.4 not really", "application/pdf")),
    ])
    assert bad.status_code == 422
    assert "Nothing was imported" in bad.text and "scan.pdf" in bad.text
    with workflow_services.session_factory() as session:
        assert kb.list_articles(session) == []

    good = lead.post("/kb/upload", data={"csrf_token": csrf}, files=[
        ("files", ("gift-wrap.md", b"# Gift wrap\n\nWe wrap gifts.", "text/markdown")),
        ("files", ("care.pdf", pdf_bytes("Oil the board once a month.", title="Board care"),
                   "application/pdf")),
    ])
    assert good.status_code == 200
    assert "2 draft articles created" in good.text
    with workflow_services.session_factory() as session:
        articles = {a.id: a for a in kb.list_articles(session)}
    assert set(articles) == {"gift-wrap", "care"}
    assert all(a.status == "draft" for a in articles.values())
    assert "Oil the board" in articles["care"].revisions[-1].body
    assert workflow_services.index.count() == 0  # drafts are not indexed

    unsupported = lead.post("/kb/upload", data={"csrf_token": csrf},
                            files=[("files", ("x.exe", b"MZ", "application/octet-stream"))])
    assert unsupported.status_code == 415 and "not a supported file type" in unsupported.text
    no_csrf = lead.post("/kb/upload", files=[("files", ("a.md", b"# A\n\nB", "text/markdown"))])
    assert no_csrf.status_code == 403


def test_gaps_cluster_questions_and_prefill_a_new_article(
    lead: TestClient, workflow_services: Any
) -> None:
    with transaction(workflow_services.session_factory) as session:
        for question in ("Can you engrave my knife?", "Can you engrave my knife please?"):
            add_draft(session, question=question, text="…", status="pending_review",
                      handoff=True, handoff_reason="no_knowledge", confidence=0.2)
        add_draft(session, question="Do you sell garden chairs?", text="No.", status="rejected")
    page = lead.get("/kb/gaps")
    assert page.status_code == 200
    assert page.text.count('class="card kb-gap"') == 2
    assert "hand-off: no_knowledge × 2" in page.text and "rejected × 1" in page.text
    link = re.search(r'href="(/kb/articles/new\?[^"]+)">Write an article for this', page.text)
    assert link is not None
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    [title] = query["title"]
    assert title in {"Can you engrave my knife", "Can you engrave my knife please"}
    editor = lead.get(link.group(1).replace("&amp;", "&"))
    assert f'id="kb-title" name="title" value="{title}"' in editor.text
    assert 'value="Can you engrave my knife?"' in editor.text
    assert 'value="Can you engrave my knife please?"' in editor.text


def test_suggestions_are_shown_as_a_diff_and_accepted_or_dismissed(
    lead: TestClient, workflow_services: Any
) -> None:
    with transaction(workflow_services.session_factory) as session:
        kb.create_article(session, content=ArticleCreate(title="Our warranty", body=WARRANTY),
                          actor="lead@example.com", publish=True)
        cite = [{"article_id": "our-warranty", "revision": 1, "title": "t", "chunk_id": "c"}]
        draft = "Hi Maria,\n\nElectric kettles have a 2-year warranty.\n\nBest wishes,\nThe team"
        for new in ("a 3-year warranty from delivery", "a 3-year guarantee on every kettle"):
            add_draft(session, question="warranty?", text=draft, status="sent",
                      final_text=draft.replace("a 2-year warranty", new), citations=cite)
        add_draft(session, question="warranty?", text=draft, status="sent",
                  final_text=draft, citations=cite)
    page = lead.get("/kb/suggestions")
    assert page.status_code == 200
    ids = re.findall(r'id="suggestion-(\d+)"', page.text)
    assert len(ids) == 2
    assert "<ins>3</ins>" in page.text or "3-year" in page.text
    listing = lead.get("/kb")
    assert "2 suggestions from agents" in listing.text
    assert re.search(r'<td class="numeric">3</td>\s*<td class="numeric">33%', listing.text)

    csrf = _csrf(lead)
    accepted = lead.post(f"/kb/suggestions/{ids[-1]}/accept",
                         data={"csrf_token": csrf, "publish": "yes"})
    assert accepted.status_code == 303 and "accepted_published" in accepted.headers["location"]
    article = _article(workflow_services, "our-warranty")
    assert (article.revision, article.published_revision) == (2, 2)
    assert "3-year warranty from delivery" in article.body
    assert any("3-year" in c.text for c in workflow_services.index.all_chunks())
    stale = lead.post(f"/kb/suggestions/{ids[0]}/accept", data={"csrf_token": csrf})
    assert stale.status_code == 303
    assert stale.headers["location"] == "/kb/suggestions?error=suggestion_stale"
    assert "no longer fits the article" in lead.get(stale.headers["location"]).text
    dismissed = lead.post(f"/kb/suggestions/{ids[0]}/dismiss", data={"csrf_token": csrf})
    assert dismissed.status_code == 303
    assert 'id="suggestion-' not in lead.get("/kb/suggestions").text
