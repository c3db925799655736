"""Rate limits that scale out (issue 15 §7): per buyer and per IP, failed sign-ins only,
counted in a store every API process shares when one is configured (Redis)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.services import Services
from bot.web.app import create_app
from bot.web.ratelimit import open_storage
from tests.factories import add_user, open_conversation
from tests.workflow_support import TEST_PASSWORD, sign_in


def _app(services: Services, **limits: Any) -> FastAPI:
    return create_app(services.settings.model_copy(update=limits), services=services)


def test_buyers_behind_one_ip_each_have_their_own_limit(services: Services) -> None:
    with TestClient(_app(services, rate_limit_per_ip=3, rate_limit_per_buyer=50)) as api:
        buyers = [open_conversation(api) for _ in range(3)]  # the IP's three requests
        for buyer in buyers:
            for _ in range(5):
                status = api.get(f"/api/v1/conversations/{buyer.id}", headers=buyer.headers)
                assert status.status_code == 200
        assert api.post("/api/v1/conversations").status_code == 429


def test_one_buyer_is_limited_on_their_own_token(services: Services) -> None:
    with TestClient(_app(services, rate_limit_per_ip=50, rate_limit_per_buyer=3)) as api:
        buyer, other = open_conversation(api), open_conversation(api)
        url = f"/api/v1/conversations/{buyer.id}"
        assert [api.get(url, headers=buyer.headers).status_code for _ in range(4)] == [
            200, 200, 200, 429]
        assert api.get(f"/api/v1/conversations/{other.id}",
                       headers=other.headers).status_code == 200


def test_guessed_tokens_count_against_the_ip(services: Services) -> None:
    with TestClient(_app(services, rate_limit_per_ip=3, rate_limit_per_buyer=50)) as api:
        buyer = open_conversation(api)
        wrong = {"Authorization": "Bearer not-the-token"}
        url = f"/api/v1/conversations/{buyer.id}"
        assert [api.get(url, headers=wrong).status_code for _ in range(3)] == [404, 404, 429]
        assert api.get(url, headers=buyer.headers).status_code == 200  # the buyer is fine


@pytest.fixture
def people(services: Services) -> Services:
    add_user(services.session_factory, email="lead@example.com", role="lead",
             password=TEST_PASSWORD)
    return services


def test_successful_sign_ins_are_not_counted(people: Services) -> None:
    app = _app(people, login_attempts_per_minute=2)
    for _ in range(4):
        with TestClient(app, follow_redirects=False) as browser:
            assert sign_in(browser, "lead@example.com").status_code == 303


def test_failed_sign_ins_lock_the_address_and_the_account(people: Services) -> None:
    app = _app(people, login_attempts_per_minute=2)
    with TestClient(app, follow_redirects=False) as browser:
        for _ in range(2):
            assert sign_in(browser, "lead@example.com", password="wrong").status_code == 401
        locked = sign_in(browser, "lead@example.com")  # even the right password waits
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis at DRAFTDESK_TEST_REDIS_URL (CI sets it, and then Redis must answer); without the
    variable the shared-store tests are skipped, like the PostgreSQL ones."""
    url = os.environ.get("DRAFTDESK_TEST_REDIS_URL")
    if not url:
        pytest.skip("DRAFTDESK_TEST_REDIS_URL is not set")
    storage = open_storage(url)
    assert storage.check(), f"DRAFTDESK_TEST_REDIS_URL is set but nothing answers at {url}"
    storage.reset()
    yield url
    storage.reset()


def test_processes_sharing_redis_share_the_limit(services: Services, redis_url: str) -> None:
    """Two apps (as two API processes would be) count one IP's requests together."""
    limits = {"rate_limit_storage_url": redis_url, "rate_limit_per_ip": 4}
    one, two = _app(services, **limits), _app(services, **limits)
    client = f"10.0.0.{uuid.uuid4().int % 250}"
    with TestClient(one, client=(client, 1)) as first, \
            TestClient(two, client=(client, 2)) as second:
        answers = [api.post("/api/v1/conversations").status_code
                   for api in (first, second, first, second, first)]
    assert answers == [201, 201, 201, 201, 429]
