"""Order access in real Chromium (issue 15, finding 4): the widget's "verify your order" form
and the console's "bind order" form.

A buyer proves an order is theirs with its number and the last name on it; a wrong name and
an unknown order get one and the same answer, and nothing of the order is shown. The form
speaks the widget's language. An agent binds an order in the console, and the reply is
drafted again with that order's facts (real drafting pipeline on the demo KB).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.orders import load_demo_orders
from bot.orders.demo import DELIVERED_10_DAYS_AGO, SHIPPED_IN_TRANSIT
from bot.web.app import create_app
from ingest.embedder import Embedder
from knowledge_base.db import transaction
from tests.factories import add_user
from tests.kb_editor_support import DemoTemplate, demo_services
from tests.workflow_support import LiveServer, wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a long enough password"
UNKNOWN_ORDER = "999-0000000-0000000"

# The form's own text in the widget's seven languages: title, the two labels, the button.
FORM_TEXT = {
    "en": ("Verify your order", "Order number", "Last name on the order", "Verify"),
    "de": ("Bestellung bestätigen", "Bestellnummer", "Nachname in der Bestellung", "Bestätigen"),
    "fr": (
        "Vérifier votre commande",
        "Numéro de commande",
        "Nom de famille sur la commande",
        "Vérifier",
    ),
    "es": (
        "Verifica tu pedido",
        "Número de pedido",
        "Apellido que figura en el pedido",
        "Verificar",
    ),
    "it": ("Verifica il tuo ordine", "Numero d’ordine", "Cognome indicato nell’ordine", "Verifica"),
    "ja": ("ご注文の確認", "注文番号", "ご注文者の姓", "確認する"),
    "zh": ("验证您的订单", "订单号", "订单上的姓氏", "验证"),
}
NOT_MATCHED = {
    "en": "We couldn’t match that order number and last name. Please check both under Your Orders.",
    "de": "Bestellnummer und Nachname passen nicht zusammen. Bitte prüfen Sie beides unter "
    "„Meine Bestellungen“.",
}
VERIFIED = {
    "en": "Thanks, order {} is verified. Our reply will include its details.",
    "de": "Danke, die Bestellung {} ist bestätigt. Unsere Antwort enthält ihre Details.",
}
# What the order holds: none of it may reach a buyer who has not verified it.
ORDER_SECRETS = ("Maria", "Lopez", "UPS", "1Z999AA10123456784", "kettle", "Kettle")


def _load_demo_orders(services: Any) -> None:
    with transaction(services.session_factory) as session:
        load_demo_orders(session, today=date.today())


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


class VerifyForm:
    """The widget's "verify your order" form, as a buyer uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.widget = page.locator("draftdesk-chat")
        self.summary = page.get_by_test_id("draftdesk-verify")
        self.order = page.get_by_test_id("draftdesk-verify-order")
        self.name = page.get_by_test_id("draftdesk-verify-name")
        self.button = page.get_by_test_id("draftdesk-verify-send")
        self.status = page.get_by_test_id("draftdesk-verify-status")

    def open(self) -> None:
        self.page.get_by_test_id("draftdesk-launcher").click()
        self.summary.click()
        expect(self.order).to_be_visible()

    def submit(self, order_id: str, last_name: str) -> tuple[int, Any]:
        """Fill and send the form; the server's answer (status, JSON) as the widget got it."""
        self.status.evaluate("el => { el.textContent = ''; }")
        self.order.fill(order_id)
        self.name.fill(last_name)
        with self.page.expect_response(lambda r: "/order-verification" in r.url) as answer:
            self.button.click()
        response = answer.value
        expect(self.status).not_to_have_text("")
        return response.status, response.json()

    def conversation_id(self) -> str:
        raw = self.page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.startsWith('draftdesk:'))"
            ".map(k => localStorage.getItem(k))[0] || null"
        )
        assert raw, "the widget saved no conversation"
        conversation_id: str = json.loads(raw)["id"]
        return conversation_id


@pytest.fixture
def widget_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


# --- the widget ------------------------------------------------------------------------------


def test_a_buyer_verifies_an_order_and_a_wrong_name_reveals_nothing(
    live_server: Any, widget_page: Page
) -> None:
    services = live_server.services
    _load_demo_orders(services)
    widget_page.goto(f"{live_server.url}/demo")
    form = VerifyForm(widget_page)
    form.open()
    expect(form.summary).to_have_text(FORM_TEXT["en"][0])

    wrong_name = form.submit(DELIVERED_10_DAYS_AGO, "Carter")
    expect(form.status).to_have_text(NOT_MATCHED["en"])
    unknown_order = form.submit(UNKNOWN_ORDER, "Lopez")
    expect(form.status).to_have_text(NOT_MATCHED["en"])
    # One answer for both: which of the two was wrong is not given away.
    assert wrong_name == unknown_order
    assert wrong_name[0] == 422 and wrong_name[1]["error"]["code"] == "order_not_verified"
    widget_text = form.widget.evaluate("el => el.shadowRoot.textContent")
    assert not [secret for secret in ORDER_SECRETS if secret in widget_text]
    conversation_id = form.conversation_id()
    assert services.workflow.bound_orders(conversation_id=conversation_id) == []
    _shot(widget_page, "widget-verify-refused.png")

    # Buyers type the number with "#" and the name in any case, with or without accents.
    status, answer = form.submit(f" #{DELIVERED_10_DAYS_AGO}", "lópez")
    assert status == 200 and answer["order_id"] == DELIVERED_10_DAYS_AGO
    expect(form.status).to_have_text(VERIFIED["en"].format(DELIVERED_10_DAYS_AGO))
    expect(form.name).to_have_value("")
    # The form folds away once the order is verified; its summary keeps the confirmation.
    expect(form.order).to_be_hidden()
    expect(form.summary).to_have_text("✓ " + VERIFIED["en"].format(DELIVERED_10_DAYS_AGO))
    assert services.workflow.bound_orders(conversation_id=conversation_id) == [
        DELIVERED_10_DAYS_AGO
    ]
    _shot(widget_page, "widget-verify-ok.png")


def test_the_verify_form_speaks_the_widget_language(live_server: Any, widget_page: Page) -> None:
    _load_demo_orders(live_server.services)
    form = VerifyForm(widget_page)
    for lang, (title, order_label, name_label, button) in FORM_TEXT.items():
        widget_page.goto(f"{live_server.url}/demo?lang={lang}")
        expect(form.summary).to_have_text(title)
        expect(form.widget.get_by_label(order_label, exact=True)).to_have_count(1)
        expect(form.widget.get_by_label(name_label, exact=True)).to_have_count(1)
        expect(form.button).to_have_text(button)

    widget_page.goto(f"{live_server.url}/demo?lang=de")
    form.open()
    form.submit(DELIVERED_10_DAYS_AGO, "Becker")
    expect(form.status).to_have_text(NOT_MATCHED["de"])
    form.submit(DELIVERED_10_DAYS_AGO, "Lopez")
    expect(form.status).to_have_text(VERIFIED["de"].format(DELIVERED_10_DAYS_AGO))
    _shot(widget_page, "widget-verify-de.png")


# --- the console -----------------------------------------------------------------------------


@pytest.fixture
def drafting_server(
    demo_kb_template: DemoTemplate, real_embedder: Embedder, tmp_path: Path
) -> Iterator[LiveServer]:
    """The real drafting pipeline on a copy of the demo KB, with the demo orders."""
    services = demo_services(
        demo_kb_template, embedder=real_embedder, directory=tmp_path, worker_in_process=True
    )
    add_user(services.session_factory, email="agent@example.com", role="agent", password=PASSWORD)
    _load_demo_orders(services)
    live = LiveServer(create_app(services.settings, services=services))
    live.services = services  # type: ignore[attr-defined]
    live.start()
    yield live
    live.stop()
    services.close()


@pytest.fixture
def console_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def _pending_draft(services: Any, conversation_id: str, *, newer_than: int = 0) -> Any:
    def newest() -> Any:
        drafts = [
            d
            for d in services.workflow.list_drafts()
            if d.conversation_id == conversation_id and d.id > newer_than
        ]
        return drafts[-1] if drafts else None

    return wait_for(newest, timeout=60)


def test_an_agent_binds_an_order_and_the_reply_is_drafted_with_its_facts(
    drafting_server: Any, console_page: Page
) -> None:
    services = drafting_server.services
    base = drafting_server.url
    created = httpx.post(f"{base}/api/v1/conversations", json={"buyer_name": "Priya"}).json()
    sent = httpx.post(
        f"{base}/api/v1/conversations/{created['id']}/messages",
        json={"text": f"Where is my order {SHIPPED_IN_TRANSIT}? It still hasn't arrived."},
        headers={"Authorization": f"Bearer {created['token']}"},
    )
    assert sent.status_code == 202
    unbound = _pending_draft(services, created["id"])
    # Not bound yet: the draft states nothing of the order (anyone can name an order id).
    assert "1Z999AA10987654321" not in unbound.text and "UPS" not in unbound.text

    page = console_page
    page.goto(f"{base}/login?next=/console/drafts/{unbound.id}")
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#reply-text")).to_have_value(unbound.text)
    _shot(page, "console-bind-order-before.png")

    page.fill("#bind-order", UNKNOWN_ORDER)
    page.get_by_role("button", name="Bind order").click()
    expect(page.get_by_text(f"No order '{UNKNOWN_ORDER}' in the order data.")).to_be_visible()
    assert services.workflow.bound_orders(conversation_id=created["id"]) == []

    page.goto(f"{base}/console/drafts/{unbound.id}")
    page.fill("#bind-order", SHIPPED_IN_TRANSIT)
    page.get_by_role("button", name="Bind order").click()
    expect(page.locator(".alert-ok")).to_contain_text(
        "Order bound to the conversation; the reply is drafted again with it."
    )
    assert services.workflow.bound_orders(conversation_id=created["id"]) == [SHIPPED_IN_TRANSIT]

    bound = _pending_draft(services, created["id"], newer_than=unbound.id)
    assert "1Z999AA10987654321" in bound.text and "UPS" in bound.text
    page.goto(f"{base}/console")
    page.locator(f'.queue-item[data-draft-id="{bound.id}"]').click()
    expect(page.locator("#reply-text")).to_have_value(bound.text)
    expect(page.get_by_role("heading", name=f"Order {SHIPPED_IN_TRANSIT}")).to_be_visible()
    _shot(page, "console-bind-order-after.png")
