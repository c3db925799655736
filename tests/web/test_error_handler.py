"""One handler for the whole error tree: any ``DraftdeskError`` raised by a route comes back
as its own status and ``{"error": {"code", "message"}}``; anything else is a bare 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.orders.errors import OrderNotFound, OrdersError, SellingPartnerRateLimited
from bot.policy.errors import InvalidPolicy, PolicyError
from bot.slack.errors import SlackCallFailed
from bot.web.errors import ApiError
from knowledge_base.error_base import DraftdeskError

RAISED: dict[str, Exception] = {
    "orders": OrdersError("the order file has no header row"),
    "order-not-found": OrderNotFound("no order 112-0000000-0000000 is stored"),
    "sp-api": SellingPartnerRateLimited("getOrder: rate limited", retry_after=2.0),
    "policy": PolicyError("the policy file could not be read"),
    "invalid-policy": InvalidPolicy("returns.window_days: must be a whole number"),
    "slack": SlackCallFailed("chat.postMessage failed", method="chat.postMessage",
                             slack_error=None, retryable=True),
    "api": ApiError(429, "rate_limited", "too many requests", headers={"Retry-After": "3"}),
    "bug": RuntimeError("KeyError in /srv/draftdesk/secret.py line 12"),
}


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The app with a route that raises, answering as it would a real client."""

    @app.get("/test-only/raise/{name}")
    def _raise(name: str) -> None:
        raise RAISED[name]

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("orders", 400, "orders_error"),
        ("order-not-found", 404, "order_not_found"),
        ("sp-api", 503, "sp_api_rate_limited"),
        ("policy", 400, "policy_error"),
        ("invalid-policy", 422, "invalid_policy"),
        ("slack", 503, "slack_unavailable"),
    ],
)
def test_a_library_error_comes_back_as_its_status_and_the_one_shape(
    client: TestClient, name: str, status: int, code: str
) -> None:
    response = client.get(f"/test-only/raise/{name}")
    assert response.status_code == status
    error = RAISED[name]
    assert isinstance(error, DraftdeskError)
    assert response.json() == {"error": {"code": code, "message": error.message}}


def test_an_api_error_keeps_its_headers(client: TestClient) -> None:
    response = client.get("/test-only/raise/api")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json() == {"error": {"code": "rate_limited", "message": "too many requests"}}


def test_anything_else_is_a_500_that_says_nothing_about_the_code(client: TestClient) -> None:
    response = client.get("/test-only/raise/bug")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "something went wrong on our side"}
    }
    assert "secret.py" not in response.text


def test_a_method_not_allowed_says_which_methods_are(client: TestClient) -> None:
    response = client.request("TRACE", "/test-only/raise/orders")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET"  # RFC 9110: a 405 carries Allow
