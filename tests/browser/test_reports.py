"""``/reports`` in Chromium (issue 18): a lead reads the seeded week, its figures match SQL
counts, the quality alert shows as a banner, and the CSV download has the page's numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from bot.accounts.service import create_user, set_password
from knowledge_base.clock import utcnow
from tests.conftest import REPO_ROOT
from tests.unit.test_reports_figures import WEEK, seed_week, sql_count
from tests.unit.test_reports_quality import seed_cracked

pytestmark = pytest.mark.browser

ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "a long enough password"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def test_a_lead_reads_the_week_sees_the_quality_alert_and_downloads_the_csv(
    live_server: Any, page: Page
) -> None:
    sessions = live_server.services.session_factory
    create_user(sessions, email="lead@example.com", role="lead")
    set_password(sessions, email="lead@example.com", password=PASSWORD)
    seed_week(sessions)
    # Six "arrived cracked" messages about one SKU in the last hours (the alert looks at
    # the 24 hours before now).
    seed_cracked(sessions, skus=["VASE-BLUE"] * 6, now=utcnow())

    base = live_server.url
    page.goto(f"{base}/reports?week={WEEK.label}")
    page.fill("#email", "lead@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports · week 2026-W48")

    banner = page.get_by_test_id("quality-alert")
    expect(banner).to_contain_text("SKU VASE-BLUE: 6 complaints in the last 24 hours")
    expect(banner).to_contain_text("damaged in transit")

    agents = page.get_by_test_id("report-agents")
    for agent in ("ana@example.com", "ben@example.com"):
        row = agents.locator(f'tr[data-key="{agent}"]')
        expect(row.locator("td").first).to_have_text(
            str(sql_count(sessions, "decided_by = :a", a=agent)))
        expect(row.locator('td[data-field="handoffs"]')).to_have_text(
            str(sql_count(sessions, "decided_by = :a AND handoff", a=agent)))
    ana = agents.locator('tr[data-key="ana@example.com"]')
    expect(ana.locator('td[data-field="sent_unchanged"]')).to_have_text("3")
    expect(agents.locator('tfoot td[data-field="late_replies"]')).to_have_text("2")
    expect(page.locator("svg.chart")).to_have_count(3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-week.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_test_id("reports-csv").click()
    download = download_info.value
    assert download.suggested_filename == "draftdesk-2026-W48.csv"
    exported = open(download.path(), encoding="utf-8").read()  # noqa: SIM115
    rows = list(csv.DictReader(io.StringIO(exported.split("\r\n\r\n")[0])))
    by_name = {(r["scope"], r["name"]): r for r in rows}
    with sessions() as session:
        sent = session.execute(text(
            "SELECT count(*) FROM drafts WHERE status = 'sent' AND decided_at >= :s "
            "AND decided_at < :e"), {"s": WEEK.start, "e": WEEK.end}).scalar_one()
    total = by_name[("total", "All agents")]
    assert int(total["sent_unchanged"]) + int(total["sent_lightly_edited"]) + int(
        total["sent_rewritten"]) == sent
    assert by_name[("agent", "ana@example.com")]["sent_unchanged"] == ana.locator(
        'td[data-field="sent_unchanged"]').inner_text()
    # The same alert is on every signed-in page, the agents' console included.
    page.goto(f"{base}/console")
    expect(page.get_by_test_id("quality-alert")).to_contain_text("SKU VASE-BLUE")

