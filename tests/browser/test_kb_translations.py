"""A stale German translation in the KB editor, in real Chromium (issue 13, item 2).

The English source moved on to revision 2 after the German translation was made from
revision 1. A lead finds it flagged in the list, opens it, sees the source beside it and the
stale banner, saves, and the banner is gone. Live uvicorn server on the test database (fake
embedder and index: no model needed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from knowledge_base import repository as kb
from knowledge_base.db import transaction
from knowledge_base.schemas import ArticleContent, ArticleCreate, ArticleUpdate
from tests.conftest import REPO_ROOT
from tests.factories import add_user

pytestmark = pytest.mark.browser

ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "a long enough password"
SOURCE = ArticleCreate(
    id="returns",
    title="How to return an item",
    body="Start a return in Your Orders within 30 days.\n\n## Refunds\nWe refund in 2 days.\n",
    questions=["How do I return it?", "Can I send it back?"],
)
GERMAN = ArticleCreate(
    id="returns-de",
    title="So senden Sie einen Artikel zurück",
    body="Starten Sie die Rücksendung innerhalb von 30 Tagen unter Meine Bestellungen.\n",
    questions=["Wie schicke ich es zurück?"],
    locale="de",
    translation_of="returns",
)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def stale_german(live_server: Any) -> Any:
    """``returns`` published at revision 2; ``returns-de`` translated from revision 1."""
    factory = live_server.services.session_factory
    add_user(factory, email="lead@example.com", role="lead", password=PASSWORD)
    with transaction(factory) as session:
        kb.create_article(session, content=SOURCE, actor="lead@example.com", publish=True)
        kb.create_article(session, content=GERMAN, actor="lead@example.com", publish=True)
        edited = ArticleContent.model_validate(SOURCE.model_dump(exclude={"id"})).model_copy(
            update={"body": SOURCE.body.replace("30 days", "60 days")}
        )
        kb.update_article(
            session,
            article_id="returns",
            actor="lead@example.com",
            update=ArticleUpdate(revision=1, **edited.model_dump()),
        )
    return live_server


def test_a_lead_brings_a_stale_german_translation_up_to_date(stale_german: Any, page: Page) -> None:
    base = stale_german.url
    page.goto(f"{base}/login?next=/kb")
    page.fill("#email", "lead@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/kb")

    chip = page.locator('tr[data-article-id="returns"] a[data-translation="returns-de"]')
    expect(chip).to_have_text("de (stale)")
    chip.click()
    expect(page).to_have_url(f"{base}/kb/articles/returns-de")

    banner = page.locator("#kb-stale-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("The source changed since this translation (revision 1 → 2)")
    expect(page.locator("#kb-stale-changes")).to_have_attribute(
        "href", "/kb/articles/returns/history?left=1&right=2"
    )
    # The source, read-only, beside the editable translation.
    source = page.locator("#kb-source")
    expect(source).to_contain_text("Source · English · revision 2")
    expect(page.locator("#kb-source-title")).to_have_text("How to return an item")
    expect(page.locator("#kb-source-questions li")).to_have_text(
        ["How do I return it?", "Can I send it back?"]
    )
    expect(page.locator("#kb-source-body")).to_contain_text("within 60 days")
    source_box = source.bounding_box()
    title_box = page.locator("#kb-title").bounding_box()
    assert source_box is not None and title_box is not None
    assert source_box["x"] + source_box["width"] <= title_box["x"]  # side by side
    expect(page.locator("#kb-translation-of")).to_contain_text(
        "German translation of How to return an item"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kb-translation-stale.png"), full_page=True)

    page.fill("#kb-body", "Starten Sie die Rücksendung innerhalb von 60 Tagen.")
    page.click("#kb-save")
    expect(page).to_have_url(re.compile(r"/kb/articles/returns-de\?done=saved$"))
    expect(page.locator("#kb-stale-banner")).to_have_count(0)
    expect(page.locator("#kb-translation-of")).to_contain_text("Up to date")
    page.screenshot(path=str(ARTIFACTS / "kb-translation-up-to-date.png"), full_page=True)

    page.goto(f"{base}/kb")
    expect(chip).to_have_text("de")
