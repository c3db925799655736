"""``/reports`` and ``/reports.csv`` through the app (fake services, SQLite): who may read
them, what a bad week gets, and that the page and the CSV show the seeded figures.

Kept with the reports' unit tests: no model, no browser, one small app per test.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.services import Services
from bot.web.app import create_app
from knowledge_base.clock import utcnow
from tests.factories import add_user
from tests.unit.test_reports_figures import WEEK, seed_week
from tests.unit.test_reports_quality import seed_cracked
from tests.workflow_support import TEST_PASSWORD, sign_in


@pytest.fixture
def browser(workflow_services: Services) -> Iterator[TestClient]:
    app = create_app(workflow_services.settings, services=workflow_services)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _as(client: TestClient, services: Services, role: str) -> None:
    email = f"{role}@example.com"
    add_user(services.session_factory, email=email, role=role, password=TEST_PASSWORD)
    assert sign_in(client, email, next_url="/reports").status_code == 303


def test_reports_need_a_signed_in_lead(browser: TestClient, workflow_services: Services) -> None:
    anonymous = browser.get("/reports.csv")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    _as(browser, workflow_services, "agent")
    assert browser.get("/reports").status_code == 403
    assert browser.get("/reports.csv").status_code == 403


def test_a_bad_week_is_a_422_not_a_traceback(
    browser: TestClient, workflow_services: Services
) -> None:
    _as(browser, workflow_services, "lead")
    refused = browser.get("/reports?week=last-week")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_week"


def test_page_and_csv_show_the_seeded_figures(
    browser: TestClient, workflow_services: Services
) -> None:
    seed_week(workflow_services.session_factory)
    _as(browser, workflow_services, "lead")
    page = browser.get(f"/reports?week={WEEK.label}")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.text.count("<svg") == 3 and "<script" not in page.text
    assert 'data-key="ana@example.com"' in page.text
    exported = browser.get(f"/reports.csv?week={WEEK.label}")
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="draftdesk-2026-W48.csv"' in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text.split("\r\n\r\n")[0])))
    by_name = {row["name"]: row for row in rows if row["scope"] == "agent"}
    assert (by_name["ana@example.com"]["decided"], by_name["ana@example.com"]["sent_unchanged"],
            by_name["ben@example.com"]["replies_over_24h"]) == ("7", "3", "1")


def test_the_quality_banner_names_the_sku(
    browser: TestClient, workflow_services: Services
) -> None:
    # Relative to the real clock: the banner looks at the 24 hours before now.
    seed_cracked(workflow_services.session_factory, skus=["VASE-BLUE"] * 6, now=utcnow())
    _as(browser, workflow_services, "lead")
    page = browser.get("/reports")
    assert 'data-testid="quality-alert"' in page.text
    assert "SKU VASE-BLUE: 6 complaints in the last 24 hours" in page.text


def test_a_new_alert_is_posted_to_the_slack_review_channel() -> None:
    from types import SimpleNamespace
    from typing import Any

    from bot.reports.defects import DefectType
    from bot.reports.quality import QualityAlert
    from bot.web.routes_reports import slack_announcer

    posted: list[dict[str, Any]] = []
    desk = SimpleNamespace(
        config=SimpleNamespace(channel="C-REVIEW", public_url="https://desk.example/"),
        api=SimpleNamespace(post_message=lambda **call: posted.append(call)),
    )
    slack_announcer(desk)(QualityAlert(sku="VASE-BLUE", complaints=6, baseline_per_day=0.0,
                                       top_defect=DefectType.DAMAGED_IN_TRANSIT))
    [message] = posted
    assert message["channel"] == "C-REVIEW"
    assert "SKU VASE-BLUE: 6 complaints in the last 24 hours (mostly damaged in transit)" in (
        message["text"])
    assert "<https://desk.example/reports|Open the reports>" in message["text"]
