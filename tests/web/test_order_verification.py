"""The widget's "verify your order" and the agent's order binding (issue 15, finding 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.conversations.order_bindings import MAX_FAILED_VERIFICATIONS
from bot.orders import load_demo_orders
from bot.orders.demo import DELIVERED_10_DAYS_AGO
from knowledge_base.db import transaction
from tests.factories import bearer, open_conversation

VERIFY = "/api/v1/conversations/{}/order-verification"


def _orders(services: Any) -> None:
    with transaction(services.session_factory) as session:
        load_demo_orders(session, today=date.today())


def test_a_buyer_verifies_an_order_with_its_last_name(api: Any, services: Any) -> None:
    _orders(services)
    buyer = open_conversation(api)
    url = VERIFY.format(buyer.id)
    wrong = api.post(url, json={"order_id": DELIVERED_10_DAYS_AGO, "last_name": "Carter"},
                     headers=bearer(buyer.token))
    unknown = api.post(url, json={"order_id": "999-0000000-0000000", "last_name": "Lopez"},
                       headers=bearer(buyer.token))
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.json() == unknown.json()  # the same answer: no hint which was wrong
    assert wrong.json()["error"]["code"] == "order_not_verified"

    ok = api.post(url, json={"order_id": f" #{DELIVERED_10_DAYS_AGO}", "last_name": "LOPEZ"},
                  headers=bearer(buyer.token))
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"order_id": DELIVERED_10_DAYS_AGO, "redrafting": False}
    assert services.workflow.bound_orders(conversation_id=buyer.id) == [DELIVERED_10_DAYS_AGO]


def test_verification_needs_the_buyer_token_and_is_capped(
    api: Any, services: Any
) -> None:
    _orders(services)
    buyer = open_conversation(api)
    url = VERIFY.format(buyer.id)
    body = {"order_id": DELIVERED_10_DAYS_AGO, "last_name": "Lopez"}
    assert api.post(url, json=body).status_code == 404
    assert api.post(url, json=body, headers=bearer("not-the-token")).status_code == 404
    guess = {"order_id": DELIVERED_10_DAYS_AGO, "last_name": "Guess"}
    for _ in range(MAX_FAILED_VERIFICATIONS):
        assert api.post(url, json=guess, headers=bearer(buyer.token)).status_code == 422
    capped = api.post(url, json=body, headers=bearer(buyer.token))
    assert capped.status_code == 429
    assert capped.json()["error"]["code"] == "too_many_verification_attempts"
    assert services.workflow.bound_orders(conversation_id=buyer.id) == []


def test_the_drafter_gets_the_bound_orders(
    api: Any, services: Any, agent: dict[str, str], fake_drafter: Any,
    drain_queue: Any,
) -> None:
    _orders(services)
    buyer = open_conversation(api)
    api.post(f"/api/v1/conversations/{buyer.id}/messages",
             json={"text": f"where is {DELIVERED_10_DAYS_AGO}?"}, headers=bearer(buyer.token))
    drain_queue()
    assert list(fake_drafter.requests[-1].bound_order_ids) == []
    assert fake_drafter.requests[-1].channel == "widget"

    orders = f"/api/v1/conversations/{buyer.id}/orders"
    assert api.post(orders, json={"order_id": DELIVERED_10_DAYS_AGO}).status_code == 401
    missing = api.post(orders, json={"order_id": "999-0000000-0000000"}, headers=agent)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "order_not_found"
    bound = api.post(orders, json={"order_id": DELIVERED_10_DAYS_AGO}, headers=agent)
    assert bound.status_code == 200 and bound.json()["redrafting"] is True
    assert api.get(orders, headers=agent).json() == {"order_ids": [DELIVERED_10_DAYS_AGO]}
    drain_queue()
    assert list(fake_drafter.requests[-1].bound_order_ids) == [DELIVERED_10_DAYS_AGO]
    assert not fake_drafter.requests[-1].for_seller
