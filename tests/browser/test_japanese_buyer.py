"""Issue 13's acceptance in real Chromium, in Japanese: a buyer on /demo?lang=ja asks to
return the skillet of their Amazon.co.jp demo order, verifies it, and gets a Japanese reply
whose return deadline is written the Japanese way (2026年12月30日); the agent sees both
languages marked and which parts are template wording. SQLite only: the German test runs
the same path on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.orders import demo_orders
from bot.orders.demo import JP_DELIVERED_6_DAYS_AGO
from ingest.embedder import Embedder
from tests.translated_kb_support import buyer_and_agent_pages, served_with_demo_orders
from tests.workflow_support import LiveServer, sqlite_copy, wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a long enough password"
QUESTION = f"スキレットを返品したいです。注文番号は{JP_DELIVERED_6_DAYS_AGO}です。"
FAMILY_NAME = "鈴木"
# The widget's Japanese (bot/web/static/widget.js) and acknowledgement (offline_ja.yaml).
LAUNCHER = "チャットで問い合わせ"
ACK = "メッセージをありがとうございます。"
VERIFIED = JP_DELIVERED_6_DAYS_AGO
# English template sentences: none may be in a Japanese reply.
ENGLISH_TEMPLATES = ("Hi ", "Order ", "return", "by ", "The Brightwater")


def _japanese_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def japanese_server(
    real_embedder: Embedder, tmp_path: Path, _sqlite_template: Path
) -> Iterator[LiveServer]:
    with served_with_demo_orders(
        embedder=real_embedder, database_url=sqlite_copy(_sqlite_template, tmp_path),
        directory=tmp_path, locales=("ja",), agent_email="agent@example.com",
        agent_password=PASSWORD,
    ) as live:
        yield live


@pytest.fixture
def pages(browser: Browser) -> Iterator[tuple[Page, Page]]:
    with buyer_and_agent_pages(browser, buyer_locale="ja-JP") as both:
        yield both


def test_a_japanese_buyer_returns_an_item_and_reads_the_deadline_in_japanese(
    japanese_server: Any, pages: tuple[Page, Page]
) -> None:
    services = japanese_server.services
    base = japanese_server.url
    buyer, agent = pages
    order = next(o for o in demo_orders(date.today()) if o.order_id == JP_DELIVERED_6_DAYS_AGO)
    assert order.marketplace == "Amazon.co.jp" and order.delivered_at

    # --- the buyer asks in Japanese; the acknowledgement is Japanese ---------------------
    buyer.goto(f"{base}/demo?lang=ja")
    launcher = buyer.get_by_test_id("draftdesk-launcher")
    expect(launcher).to_have_accessible_name(LAUNCHER)
    launcher.click()
    buyer.get_by_test_id("draftdesk-input").fill(QUESTION)
    buyer.get_by_test_id("draftdesk-send").click()
    bubble = '[data-testid="draftdesk-message"][data-role="{}"]'
    expect(buyer.locator(bubble.format("buyer"))).to_have_text([QUESTION])
    expect(buyer.locator(bubble.format("system"))).to_contain_text(ACK)

    buyer.get_by_test_id("draftdesk-verify").click()
    buyer.get_by_test_id("draftdesk-verify-order").fill(JP_DELIVERED_6_DAYS_AGO)
    buyer.get_by_test_id("draftdesk-verify-name").fill(FAMILY_NAME)
    buyer.get_by_test_id("draftdesk-verify-send").click()
    expect(buyer.get_by_test_id("draftdesk-verify-status")).to_contain_text(VERIFIED)
    expect(buyer.get_by_test_id("draftdesk-verify-order")).to_be_hidden()

    # --- the draft: Japanese, a return verdict with the deadline written the Japanese way --
    def bound_draft() -> Any:
        for draft in services.workflow.list_drafts():
            # Only the draft made after verification may state the order's dates.
            if re.search(r"\d{4}年\d{1,2}月\d{1,2}日", draft.text):
                return draft
        return None

    draft = services.workflow.get_draft(draft_id=wait_for(bound_draft, timeout=120).id)
    assert not draft.handoff, draft.handoff_reason
    assert draft.language == "ja" and draft.reply_language == "ja"
    [verdict] = [v for v in draft.verdicts if v.kind == "return"]
    assert verdict.eligible and verdict.deadline
    assert _japanese_day(verdict.deadline) in draft.text, draft.text
    assert not re.search(r"\b(January|February|March|April|May|June|July|August|September|"
                         r"October|November|December)\b", draft.text), draft.text
    assert not [phrase for phrase in ENGLISH_TEMPLATES if phrase in draft.text], draft.text

    # --- the agent sees both languages and which parts are template wording ---------------
    agent.goto(f"{base}/login?next=/console/drafts/{draft.id}")
    agent.fill("#email", "agent@example.com")
    agent.fill("#password", PASSWORD)
    agent.click("button[type=submit]")
    expect(agent.locator("#reply-text")).to_have_value(draft.text)
    expect(agent.locator(".flags .badge", has_text="buyer:")).to_have_text(
        ["buyer: ja · reply: ja"]
    )
    deadline = agent.locator(".reply-sources .source-template",
                             has_text=_japanese_day(verdict.deadline))
    expect(deadline).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    agent.screenshot(path=str(ARTIFACTS / "japanese-buyer-console.png"), full_page=True)

    agent.click("#approve-button")
    expect(agent.locator(".alert-ok")).to_contain_text("Sent to the buyer.")
    expect(buyer.locator(bubble.format("seller"))).to_have_text([draft.text], timeout=30_000)
    buyer.screenshot(path=str(ARTIFACTS / "japanese-buyer-widget-reply.png"), full_page=True)
