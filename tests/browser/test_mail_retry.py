"""A reply the mail server refused, as an agent meets it in Chromium (issue 14): the live
console shows it, the draft says "Not delivered: <the server's answer>", and "Retry sending"
sends it once the cause is fixed. Real uvicorn server with its mail sender thread and a real
SMTP server on 127.0.0.1 that first answers 550."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr
from sqlalchemy import select

from bot.accounts.service import create_user, set_password
from bot.mail.models import OutboundMail
from bot.services import Services, build_services
from tests.conftest import REPO_ROOT
from tests.fakes import FakeEmbedder, InMemoryIndex
from tests.mail.servers import SmtpServer
from tests.workflow_support import wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "a long enough password"
MAIL = Path(__file__).resolve().parents[1] / "mail" / "fixtures"
SELLER_FROM = "orders@brightwater.example"
RELAY = "s1g2n3a4t5@marketplace.amazon.com"  # the buyer of 09_signature.eml
REFUSAL = "550 5.7.1 Sender address rejected: not an approved sender"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def workflow_services(
    workflow_settings: Any, fake_drafter: Any, smtp: SmtpServer
) -> Iterator[Services]:
    """The live server's services: replies to mail conversations go to the SMTP server
    through the server's own sender thread."""
    settings = workflow_settings.model_copy(
        update={
            "mail_smtp_url": SecretStr(smtp.url),
            "mail_from": SELLER_FROM,
            "mail_in_process": True,
        }
    )
    services = build_services(
        settings,
        embedder=FakeEmbedder(),
        index=InMemoryIndex(),
        drafter=fake_drafter,
        migrate=False,
    )
    yield services
    services.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _outbox_status(services: Services) -> str:
    with services.session_factory() as session:
        return str(session.execute(select(OutboundMail.status)).scalar_one())


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_agent_sees_a_refused_reply_and_sends_it_again(
    live_server: Any, page: Page, smtp: SmtpServer
) -> None:
    services: Services = live_server.services
    create_user(services.session_factory, email="agent@example.com", role="agent")
    set_password(services.session_factory, email="agent@example.com", password=PASSWORD)
    base = live_server.url
    channel = services.mail_channel
    assert channel is not None
    smtp.answer_data = REFUSAL  # the sender address is not one Amazon accepts
    channel.store((MAIL / "09_signature.eml").read_bytes(), "test")
    wait_for(lambda: services.workflow.list_drafts(), timeout=30)

    page.goto(f"{base}/login?next=/console")
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("#approve-button")
    expect(page.locator(".alert-ok", has_text="Sent to the buyer.")).to_be_visible()

    # The server's sender meets the 550; the open console learns of it without a reload.
    wait_for(lambda: _outbox_status(services) == "failed", timeout=30)
    expect(page.locator('[data-count="attention"]')).to_have_text("1", timeout=15_000)
    page.click("a.tab:has-text('Needs a reply')")
    expect(page.locator(".undelivered .queue-item")).to_contain_text("not delivered")
    notice = page.locator(".delivery-failed")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Not delivered:")
    expect(notice).to_contain_text(REFUSAL)  # the server's own answer
    _shot(page, "console-mail-not-delivered.png")

    smtp.answer_data = None  # the seller added the address to Amazon's approved senders
    page.click("button.retry-sending")
    # The resent reply may already show "Delivered by e-mail" beside this notice: find it by text.
    expect(page.locator(".alert-ok", has_text="Queued to send again")).to_be_visible()
    expect(page.locator("button.retry-sending")).to_have_count(0)
    wait_for(lambda: _outbox_status(services) == "sent", timeout=30)
    page.reload()
    expect(page.locator(".delivery-sent")).to_contain_text("Delivered by e-mail to " + RELAY)
    expect(page.locator(".undelivered")).to_have_count(0)
    _shot(page, "console-mail-delivered-after-retry.png")

    refused, delivered = smtp.to(RELAY)
    assert refused.message["Message-ID"] == delivered.message["Message-ID"]
    assert len(smtp.to(RELAY)) == 2
