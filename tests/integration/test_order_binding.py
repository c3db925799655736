"""Issue 15, finding 4: order facts only for the order's buyer, on the real pipeline.

"my friend's order 112-… what's the shipping address?" on an anonymous widget conversation
used to draft that order's delivery date, carrier and tracking number with no check failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.conversations.errors import OrderNotVerified, TooManyVerifications
from bot.conversations.order_bindings import MAX_FAILED_VERIFICATIONS
from bot.drafting.interface import DraftRequest
from bot.orders import load_demo_orders
from bot.orders.demo import DELIVERED_10_DAYS_AGO, SHIPPED_IN_TRANSIT
from bot.orders.errors import OrderNotFound
from bot.worker import DraftingWorker
from knowledge_base.db import transaction
from tests.kb_editor_support import demo_services
from tests.mail.conftest import fixture_bytes

pytestmark = pytest.mark.slow

FRIEND = f"my friend's order {SHIPPED_IN_TRANSIT} what's the shipping address?"
# The demo order's facts (bot/orders/demo.py): none may reach a stranger.
FACTS = ("1Z999AA10987654321", "UPS", SHIPPED_IN_TRANSIT)


@pytest.fixture
def services(demo_kb_template: Any, real_embedder: Any, tmp_path: Path) -> Iterator[Any]:
    built = demo_services(demo_kb_template, embedder=real_embedder, directory=tmp_path,
                          worker_in_process=False)
    with transaction(built.session_factory) as session:
        load_demo_orders(session, today=date.today())
    try:
        yield built
    finally:
        built.close()


def _drafted(services: Any, conversation_id: str) -> Any:
    assert DraftingWorker(workflow=services.workflow).run_until_idle() >= 1
    drafts = [d for d in services.workflow.list_drafts() if d.conversation_id == conversation_id]
    return services.workflow.get_draft(draft_id=drafts[-1].id)


def _check(detail: Any, check_id: str) -> Any:
    return next(c for c in detail.checks if c.id == check_id)


def test_a_stranger_naming_an_order_gets_a_request_to_verify_not_its_facts(
    services: Any,
) -> None:
    workflow = services.workflow
    conversation = workflow.start_conversation()
    workflow.receive_buyer_message(conversation_id=conversation.id, text=FRIEND)
    detail = _drafted(services, conversation.id)

    assert detail.order is None
    assert not any(fact in detail.text for fact in FACTS), detail.text
    assert "Verify your order" in detail.text
    assert _check(detail, "privacy.bound_orders_only").passed

    # The same message from the seller's side (ask, eval) does state the facts: it is the
    # binding, not the wording, that keeps them out.
    seller = services.drafter.draft(DraftRequest(buyer_messages=[FRIEND], for_seller=True))
    assert seller.order is not None and seller.order.order_id == SHIPPED_IN_TRANSIT
    assert FACTS[0] in seller.text and FACTS[1] in seller.text


def test_the_buyer_verifies_in_the_widget_and_the_reply_is_drafted_with_the_facts(
    services: Any,
) -> None:
    workflow = services.workflow
    conversation = workflow.start_conversation()
    workflow.receive_buyer_message(conversation_id=conversation.id,
                                   text=f"where is my order {DELIVERED_10_DAYS_AGO}?")
    first = _drafted(services, conversation.id)
    assert first.order is None

    with pytest.raises(OrderNotVerified) as wrong:
        workflow.verify_order(conversation_id=conversation.id, order_id=DELIVERED_10_DAYS_AGO,
                              last_name="Carter")
    with pytest.raises(OrderNotVerified) as unknown:
        workflow.verify_order(conversation_id=conversation.id, order_id="999-0000000-0000000",
                              last_name="Lopez")
    assert wrong.value.message == unknown.value.message  # no hint which one was wrong

    bound = workflow.verify_order(conversation_id=conversation.id,
                                  order_id=DELIVERED_10_DAYS_AGO, last_name=" lópez ")
    assert bound.order_id == DELIVERED_10_DAYS_AGO and bound.redrafting
    detail = _drafted(services, conversation.id)
    assert detail.order is not None and detail.order.order_id == DELIVERED_10_DAYS_AGO
    assert "Verify your order" not in detail.text
    assert _check(detail, "privacy.bound_orders_only").passed


def test_failed_verifications_are_capped(services: Any) -> None:
    workflow = services.workflow
    conversation = workflow.start_conversation()
    for _ in range(MAX_FAILED_VERIFICATIONS):
        with pytest.raises(OrderNotVerified):
            workflow.verify_order(conversation_id=conversation.id,
                                  order_id=DELIVERED_10_DAYS_AGO, last_name="Guess")
    with pytest.raises(TooManyVerifications):
        workflow.verify_order(conversation_id=conversation.id,
                              order_id=DELIVERED_10_DAYS_AGO, last_name="Lopez")


def test_an_agent_binds_an_order_and_the_reply_is_drafted_again_with_it(services: Any) -> None:
    workflow = services.workflow
    conversation = workflow.start_conversation()
    workflow.receive_buyer_message(conversation_id=conversation.id, text=FRIEND)
    assert _drafted(services, conversation.id).order is None
    with pytest.raises(OrderNotFound):
        workflow.bind_order(conversation_id=conversation.id, order_id="999-0000000-0000000",
                            actor="agent@example.com")
    workflow.bind_order(conversation_id=conversation.id, order_id=SHIPPED_IN_TRANSIT,
                        actor="agent@example.com")
    assert workflow.bound_orders(conversation_id=conversation.id) == [SHIPPED_IN_TRANSIT]
    detail = _drafted(services, conversation.id)
    assert detail.order is not None and detail.order.order_id == SHIPPED_IN_TRANSIT
    assert FACTS[0] in detail.text
    assert _check(detail, "privacy.bound_orders_only").passed


def test_a_relay_mail_about_its_order_is_bound_by_its_thread(services: Any) -> None:
    workflow = services.workflow  # builds the mail channel too
    stored = services.mail_channel.store(fixture_bytes("01_plain_where_is_my_order.eml"),
                                         "test")
    assert stored.kind == "buyer"
    assert workflow.bound_orders(conversation_id=stored.conversation_id) == [SHIPPED_IN_TRANSIT]
    detail = _drafted(services, stored.conversation_id)
    assert detail.order is not None and detail.order.order_id == SHIPPED_IN_TRANSIT
    assert "1Z999AA10987654321" in detail.text or "UPS" in detail.text


def test_an_order_named_only_in_a_mail_body_is_not_bound(services: Any) -> None:
    raw = fixture_bytes("01_plain_where_is_my_order.eml")
    raw = raw.replace(b" (Order: 112-2233445-5566778)", b"").replace(
        b"aa11-plain@", b"aa11-nosubject@")
    workflow = services.workflow  # builds the mail channel too
    stored = services.mail_channel.store(raw, "test")
    assert stored.kind == "buyer"
    assert workflow.bound_orders(conversation_id=stored.conversation_id) == []
    detail = _drafted(services, stored.conversation_id)
    assert detail.order is None
    assert "1Z999AA10987654321" not in detail.text
    assert "Your Orders" in detail.text
