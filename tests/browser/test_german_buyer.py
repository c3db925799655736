"""Issue 13's acceptance in real Chromium: a German buyer on /demo?lang=de, end to end.

The widget speaks German; the buyer asks about their Amazon.de demo order and verifies it
(order number + last name) so the reply may state its details; the worker drafts with the
real pipeline on the demo KB plus its German translations; the agent sees in the console a
German draft that quotes a German translation (the citation is shown) and states DHL and the
tracking number; approving it shows the German reply live in the widget. On SQLite and, when
``DRAFTDESK_TEST_DATABASE_URL`` is set, PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.orders import demo_orders
from bot.orders.demo import DE_SHIPPED_IN_TRANSIT
from ingest.embedder import Embedder
from tests.translated_kb_support import buyer_and_agent_pages, served_with_demo_orders
from tests.workflow_support import LiveServer, wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a long enough password"
QUESTION = f"Wo bleibt meine Bestellung {DE_SHIPPED_IN_TRANSIT}?"
LAST_NAME = "Hoffmann"
# The widget's own German (bot/web/static/widget.js) and the German acknowledgement
# (bot/drafting/templates/offline_de.yaml).
CHROME = {
    "launcher": "Chat mit uns",
    "hello": "Hallo! Wie können wir helfen?",
    "placeholder": "Stellen Sie eine Frage …",
    "send": "Senden",
    "human": "Mit einem Menschen sprechen",
    "verify": "Bestellung bestätigen",
    "reviewing": "Jemand aus dem Team prüft Ihre Nachricht",
}
ACK = "Danke für Ihre Nachricht! Eine Person aus unserem Team antwortet Ihnen"
VERIFIED = f"Danke, die Bestellung {DE_SHIPPED_IN_TRANSIT} ist bestätigt."
GERMAN_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
# Sentences the English composer would write: none may be in a German reply.
ENGLISH_TEMPLATES = ("Hi ", "Order ", "shipped on", "tracking number", "expected to arrive")


def _german_day(day: date) -> str:
    return f"{day.day}. {GERMAN_MONTHS[day.month - 1]} {day.year}"


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.fixture
def german_server(
    db_backend: str, workflow_db_url: str, real_embedder: Embedder, tmp_path: Path
) -> Iterator[LiveServer]:
    """The app with the real pipeline on the demo KB + German translations, the demo orders
    and an agent, on the parametrised database."""
    with served_with_demo_orders(
        embedder=real_embedder, database_url=workflow_db_url, directory=tmp_path,
        locales=("de",), agent_email="agent@example.com", agent_password=PASSWORD,
    ) as live:
        yield live


@pytest.fixture
def pages(browser: Browser) -> Iterator[tuple[Page, Page]]:
    with buyer_and_agent_pages(browser, buyer_locale="de-DE") as both:
        yield both


def test_a_german_buyer_gets_a_german_reply_from_the_german_kb(
    german_server: Any, pages: tuple[Page, Page]
) -> None:
    services = german_server.services
    base = german_server.url
    buyer, agent = pages
    order = next(o for o in demo_orders(date.today()) if o.order_id == DE_SHIPPED_IN_TRANSIT)
    assert order.carrier == "DHL" and order.tracking_number and order.shipped_at
    assert order.estimated_delivery

    # --- the widget speaks German ------------------------------------------------------
    buyer.goto(f"{base}/demo?lang=de")
    buyer.evaluate("() => { window.__sameDocument = true; }")
    widget = buyer.locator("draftdesk-chat")
    launcher = buyer.get_by_test_id("draftdesk-launcher")
    expect(launcher).to_have_accessible_name(CHROME["launcher"])
    launcher.click()
    message_box = buyer.get_by_test_id("draftdesk-input")
    expect(message_box).to_be_focused()
    expect(message_box).to_have_attribute("placeholder", CHROME["placeholder"])
    expect(widget).to_contain_text(CHROME["hello"])
    expect(buyer.get_by_test_id("draftdesk-send")).to_have_text(CHROME["send"])
    expect(buyer.get_by_test_id("draftdesk-human")).to_have_text(CHROME["human"])
    expect(buyer.get_by_test_id("draftdesk-verify")).to_have_text(CHROME["verify"])

    # --- the buyer asks in German and gets a German acknowledgement -----------------------
    message_box.fill(QUESTION)
    buyer.get_by_test_id("draftdesk-send").click()
    bubble = '[data-testid="draftdesk-message"][data-role="{}"]'
    expect(buyer.locator(bubble.format("buyer"))).to_have_text([QUESTION])
    expect(buyer.locator(bubble.format("system"))).to_have_count(1)
    expect(buyer.locator(bubble.format("system"))).to_contain_text(ACK)
    expect(widget.get_by_role("status").first).to_contain_text(CHROME["reviewing"])

    # --- … and verifies the order, so the reply may state its details ---------------------
    buyer.get_by_test_id("draftdesk-verify").click()
    buyer.get_by_test_id("draftdesk-verify-order").fill(DE_SHIPPED_IN_TRANSIT)
    buyer.get_by_test_id("draftdesk-verify-name").fill(LAST_NAME)
    buyer.get_by_test_id("draftdesk-verify-send").click()
    expect(buyer.get_by_test_id("draftdesk-verify-status")).to_contain_text(VERIFIED)
    _shot(buyer, "german-buyer-widget-asked.png")

    def bound_draft() -> Any:
        for draft in services.workflow.list_drafts():
            if order.tracking_number in draft.text:
                return draft
        return None

    draft = services.workflow.get_draft(draft_id=wait_for(bound_draft, timeout=120).id)
    conversation = draft.conversation_id
    assert services.workflow.bound_orders(conversation_id=conversation) == [DE_SHIPPED_IN_TRANSIT]

    # --- the draft is German, quotes the German translation and states the order ----------
    assert not draft.handoff, draft.handoff_reason
    assert draft.language == "de"
    shipped = (
        f"Ihre Bestellung {DE_SHIPPED_IN_TRANSIT} wurde am {_german_day(order.shipped_at)} "
        f"mit DHL versandt (Sendungsnummer {order.tracking_number})."
    )
    expected = f"Die voraussichtliche Zustellung ist am {_german_day(order.estimated_delivery)}."
    assert shipped in draft.text and expected in draft.text, draft.text
    assert not [phrase for phrase in ENGLISH_TEMPLATES if phrase in draft.text], draft.text
    assert draft.citations, draft.text
    cited = draft.citations[0]
    # "Wo bleibt …" is "where is it" and "what is keeping it": any of these answers it.
    assert cited.translation_of in {"order-status", "late-delivery", "delivery-times"}, cited
    assert cited.article_id == f"{cited.translation_of}-de"
    assert all(c.translation_of for c in draft.citations), draft.citations
    assert not [c for c in draft.checks if not c.passed and c.severity == "block"], draft.checks

    # --- the agent reviews it in the console ---------------------------------------------
    agent.goto(f"{base}/login?next=/console/drafts/{draft.id}")
    agent.fill("#email", "agent@example.com")
    agent.fill("#password", PASSWORD)
    agent.click("button[type=submit]")
    expect(agent.locator("#reply-text")).to_have_value(draft.text)
    # Both languages marked: the buyer's and the reply's.
    expect(agent.locator(".flags .badge", has_text="buyer:")).to_have_text(
        ["buyer: de · reply: de"]
    )
    expect(agent.locator(".untranslated")).to_have_count(0)  # every quoted passage is German
    # Which parts are our template wording (order facts: trusted) and which are KB text.
    expect(agent.locator(".reply-sources .source-template", has_text="DHL")).to_have_count(1)
    expect(agent.locator(".msg-buyer .bubble")).to_have_text([QUESTION])
    citation = agent.locator(".citations a").first
    expect(citation).to_have_attribute("href", f"/kb/articles/{cited.article_id}")
    expect(citation).to_have_text(cited.title)
    expect(agent.get_by_role("heading", name=f"Order {DE_SHIPPED_IN_TRANSIT}")).to_be_visible()
    expect(agent.locator(".facts-list")).to_contain_text(f"DHL · {order.tracking_number}")
    _shot(agent, "german-buyer-console.png")

    agent.click("#approve-button")
    expect(agent.locator(".alert-ok")).to_contain_text("Sent to the buyer.")

    # --- the German reply arrives live in the widget --------------------------------------
    expect(buyer.locator(bubble.format("seller"))).to_have_text([draft.text], timeout=30_000)
    assert buyer.evaluate("() => window.__sameDocument") is True  # no reload happened
    expect(widget.get_by_role("status").first).to_have_text("")
    # The verify form folded itself away after success: the reply is in view.
    expect(buyer.get_by_test_id("draftdesk-verify-order")).to_be_hidden()
    buyer.locator(bubble.format("seller")).scroll_into_view_if_needed()
    _shot(buyer, "german-buyer-widget-reply.png")
    sent = services.workflow.get_draft(draft_id=draft.id)
    assert sent.status == "sent" and sent.final_text in (None, draft.text)
