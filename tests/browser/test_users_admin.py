"""``/console/users`` in Chromium (issue 16, item 7): an admin adds a colleague and copies
the token shown once, revokes it, changes the role and deactivates — the pages pass axe."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe_support import serious_violations
from tests.conftest import REPO_ROOT
from tests.factories import add_user, bearer
from tests.workflow_support import TEST_PASSWORD

pytestmark = pytest.mark.browser


ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def test_an_admin_manages_a_colleagues_access(live_server: Any, page: Page) -> None:
    sessions = live_server.services.session_factory
    add_user(sessions, email="admin@example.com", role="admin", password=TEST_PASSWORD)
    base = live_server.url
    page.goto(f"{base}/console")
    page.fill("#email", "admin@example.com")
    page.fill("#password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    assert serious_violations(page) == []

    page.fill("#new-email", "nina@example.com")
    page.select_option("#new-role", "lead")
    page.get_by_role("button", name="Add user").click()
    token = page.locator("#new-token").inner_text()
    assert httpx.get(f"{base}/api/v1/drafts", headers=bearer(token)).status_code == 200
    page.locator("#users").get_by_role("link", name="nina@example.com").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("nina@example.com")
    assert serious_violations(page) == []
    expect(page.locator("#tokens")).not_to_contain_text(token)

    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator("#user-done")).to_contain_text("Token revoked")
    assert httpx.get(f"{base}/api/v1/drafts", headers=bearer(token)).status_code == 401

    page.select_option("#role", "agent")
    page.get_by_role("button", name="Change role").click()
    expect(page.locator("#user-done")).to_contain_text("Role changed")
    page.get_by_role("button", name="Deactivate nina@example.com").click()
    expect(page.locator("#user-done")).to_contain_text("Deactivated")
    page.get_by_role("link", name="← Users").click()
    expect(page.locator("#users")).to_contain_text("deactivated")
    expect(page.locator("#access-changes")).to_contain_text("changed the role: lead → agent")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-users.png"), full_page=True)
