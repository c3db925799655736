"""The KB editor's "Policy consistency" page (/kb/lint): the published KB against the policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge_base import repository as kb
from knowledge_base.db import transaction
from knowledge_base.schemas import ArticleCreate
from tests.factories import add_user
from tests.workflow_support import TEST_PASSWORD, sign_in

KNIVES = "Knives have a 1-year warranty."


def _add(services: Any, article_id: str, body: str, *, publish: bool = True) -> None:
    with transaction(services.session_factory) as session:
        kb.create_article(session, content=ArticleCreate(
            id=article_id, title=article_id.replace("-", " ").capitalize(), body=body),
            actor="lead@example.com", publish=publish)


def _signed_in(pages: TestClient, services: Any, role: str) -> TestClient:
    email = f"{role}@example.com"
    add_user(services.session_factory, email=email, role=role, password=TEST_PASSWORD)
    assert sign_in(pages, email, next_url="/kb").status_code == 303
    return pages


@pytest.fixture
def agent(pages: TestClient, services: Any) -> TestClient:
    return _signed_in(pages, services, "agent")


@pytest.fixture
def lead(pages: TestClient, services: Any) -> TestClient:
    return _signed_in(pages, services, "lead")


def test_the_page_needs_sign_in(pages: TestClient) -> None:
    response = pages.get("/kb/lint")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/kb")


def test_agents_see_contradictions_of_published_articles_linked_to_them(
    agent: TestClient, services: Any
) -> None:
    _add(services, "knife-warranty", f"Our knives are forged steel. {KNIVES}")
    _add(services, "knife-draft", "Knives have a 2-year warranty.", publish=False)
    _add(services, "bedding-a", "Bedding has a 1-year warranty.")
    _add(services, "bedding-b", "Bedding has a 2-year warranty.")

    assert 'href="/kb/lint"' in agent.get("/kb").text  # linked from the article list
    page = agent.get("/kb/lint")
    assert page.status_code == 200
    html = page.text
    rows = re.findall(r'<tr data-article-id="([^"]+)">', html)
    assert rows == ["bedding-b", "knife-warranty"]  # drafts are not checked
    assert '<a href="/kb/articles/knife-warranty">Knife warranty</a>' in html
    assert f'<q class="kb-lint-sentence">{KNIVES}</q>' in html
    assert "<code>categories.knives.warranty_months</code> says <strong>120 months</strong>" in html
    assert ('article <a href="/kb/articles/bedding-a">Bedding a</a> says <strong>1 year</strong>'
            in html)
    table = html[html.index('id="kb-lint"'):html.index("</table>")]
    assert "<form" not in table and "<button" not in table  # read-only
    policy_file = services.settings.resolved_policy_file
    assert f"<code>{policy_file.name}</code>" in html and str(policy_file) not in html


def test_a_consistent_kb_says_so(lead: TestClient, services: Any) -> None:
    _add(services, "knife-warranty", "Knives have a 10-year warranty.")
    page = lead.get("/kb/lint")
    assert page.status_code == 200
    assert 'id="kb-lint-clean"' in page.text and 'id="kb-lint"' not in page.text
    assert "1 published article " in page.text


def test_an_unreadable_policy_file_is_shown_not_a_500(
    agent: TestClient, services: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "policy.yaml"
    broken.write_text("return_window_days: [\n")
    monkeypatch.setattr(services.settings, "policy_file", broken)
    page = agent.get("/kb/lint")
    assert page.status_code == 200
    assert 'id="kb-lint-error"' in page.text and "not valid YAML" in page.text
