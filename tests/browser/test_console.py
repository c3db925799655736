"""The review console in real Chromium (Playwright) against a live uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.accounts.service import create_user, set_password
from tests.conftest import REPO_ROOT
from tests.workflow_support import wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "a long enough password"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _buyer_writes(base: str, text: str, name: str = "Maria Lopez") -> tuple[str, str]:
    created = httpx.post(f"{base}/api/v1/conversations", json={"buyer_name": name}).json()
    response = httpx.post(f"{base}/api/v1/conversations/{created['id']}/messages",
                          json={"text": text},
                          headers={"Authorization": f"Bearer {created['token']}"})
    assert response.status_code == 202
    return created["id"], created["token"]


def _shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_agent_reviews_edits_and_approves_in_the_console(live_server: Any, page: Page) -> None:
    services = live_server.services
    create_user(services.session_factory, email="agent@example.com", role="agent")
    set_password(services.session_factory, email="agent@example.com", password=PASSWORD)
    base = live_server.url
    conversation_id, token = _buyer_writes(
        base, "Hi, where is my parcel? Order 112-3456789-1234567")
    wait_for(lambda: services.workflow.list_drafts(), timeout=30)

    page.goto(f"{base}/console")
    expect(page).to_have_url(f"{base}/login?next=/console")
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/console")

    queue_item = page.locator(".queue-item")
    expect(queue_item).to_have_count(1)
    expect(queue_item.first).to_contain_text("Maria Lopez")
    expect(page.locator(".queue-item .countdown")).to_contain_text("left")
    expect(page.locator(".citations a")).to_have_attribute("href", "/kb/articles/shipping-times")
    expect(page.locator(".facts")).to_contain_text("112-3456789-1234567")
    _shot(page, "console-review.png")

    edited = ("Hi Maria,\n\nYour parcel is with UPS and arrives on Friday.\n\n"
              "The Brightwater Home team")
    page.fill("#reply-text", edited)
    expect(page.locator("#approve-button")).to_have_text("Send edited reply")
    page.click("#approve-button")
    expect(page.locator(".alert-ok")).to_contain_text("Sent to the buyer.")
    expect(page.locator(".queue-item")).to_have_count(0)
    expect(page.locator("#queue")).to_contain_text("All caught up")

    seen = httpx.get(f"{base}/api/v1/conversations/{conversation_id}/messages",
                     headers={"Authorization": f"Bearer {token}"}).json()["messages"]
    assert seen[-1]["role"] == "seller" and seen[-1]["text"] == edited

    # A new buyer message shows up in the open console without a reload (SSE).
    _buyer_writes(base, "Do you ship to Canada?", name="Sam Lee")
    expect(page.locator(".queue-item")).to_have_count(1, timeout=30_000)
    expect(page.locator(".queue-item").first).to_contain_text("Sam Lee")
    _shot(page, "console-live-update.png")


def test_blocked_draft_needs_an_override_reason(live_server: Any, page: Page) -> None:
    services = live_server.services
    create_user(services.session_factory, email="lead@example.com", role="lead")
    set_password(services.session_factory, email="lead@example.com", password=PASSWORD)
    base = live_server.url
    _buyer_writes(base, "Any discount for my next order?")
    wait_for(lambda: services.workflow.list_drafts(), timeout=30)

    page.goto(f"{base}/login")
    page.fill("#email", "lead@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.fill("#reply-text", "Hi! Use this coupon next time.")
    page.click("#approve-button")
    expect(page.locator(".alert-error")).to_contain_text("A blocking check failed")
    # The failed check says what it found, so the agent knows what to fix.
    expect(page.locator(".blocked-checks")).to_contain_text("no marketing: mentions coupon")
    expect(page.locator("#reply-text")).to_have_value("Hi! Use this coupon next time.")
    page.fill("#override-reason", "The buyer was promised this code by phone.")
    page.click("#approve-button")
    expect(page.locator(".alert-ok")).to_contain_text("Sent to the buyer.")
    _shot(page, "console-after-override.png")
