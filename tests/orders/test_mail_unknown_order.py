"""A relay mail about an order the store does not know: the order is read from the Selling
Partner API (the local fake of Amazon) before the message is queued, so its draft states the
order's facts — and when that read fails or is slow, the mail is stored and drafted as
before. SQLite and PostgreSQL (the draft text with the real model: SQLite)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.conversations.models import Message
from bot.mail.models import InboundMail
from bot.orders import get_order
from bot.services import Services, build_services
from bot.worker import DraftingWorker
from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex
from tests.mail.conftest import fixture_bytes
from tests.orders.conftest import amazon_item, amazon_order
from tests.orders.fake_amazon import CLIENT_ID, REFRESH_TOKEN, US, FakeAmazon

ORDER = "112-2233445-5566778"  # the order of the relay mail 01_plain_where_is_my_order.eml
MAIL = "01_plain_where_is_my_order.eml"
FOLLOW_UP = "08_reply_in_thread_same_order.eml"


def _on_amazon(amazon: FakeAmazon, *, purchased: date) -> None:
    bought = datetime.combine(purchased, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    order = amazon_order(ORDER, updated=bought + timedelta(days=1), purchased=bought)
    amazon.put_order(order, [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")])


def _operations(amazon: FakeAmazon) -> list[str]:
    return [r.operation for r in amazon.requests]


@pytest.fixture
def pipeline_services(sp_api_settings: Any) -> Iterator[Services]:
    """The real drafting pipeline (fake embedder, empty KB: a hand-off that still carries the
    order facts it was made with) on the parametrised database."""
    services = build_services(
        sp_api_settings, embedder=FakeEmbedder(dimension=384), index=InMemoryIndex(), migrate=False
    )
    yield services
    services.close()


@pytest.fixture
def fake_drafter_services(sp_api_settings: Any) -> Iterator[Services]:
    services = build_services(
        sp_api_settings,
        embedder=FakeEmbedder(),
        index=InMemoryIndex(),
        drafter=FakeDrafter(),
        migrate=False,
    )
    yield services
    services.close()


def test_the_unknown_order_is_fetched_before_drafting_and_the_draft_has_its_facts(
    pipeline_services: Services, amazon: FakeAmazon
) -> None:
    purchased = date.today() - timedelta(days=3)
    _on_amazon(amazon, purchased=purchased)
    workflow = pipeline_services.workflow
    channel = pipeline_services.mail_channel
    assert channel is not None

    stored = channel.store(fixture_bytes(MAIL), "test")
    assert stored.kind == "buyer"
    assert _operations(amazon) == ["getOrder", "getOrderItems"]
    with pipeline_services.session_factory() as session:
        order = get_order(session, order_id=ORDER)
    assert order is not None and order.source == "sp_api"

    assert DraftingWorker(workflow=workflow).run_until_idle() == 1
    (draft,) = workflow.list_drafts()
    facts = workflow.get_draft(draft_id=draft.id).order
    assert facts is not None and facts.order_id == ORDER
    assert (facts.status, facts.purchase_date, facts.fulfillment_channel) == (
        "shipped",
        purchased,
        "seller",
    )
    assert facts.estimated_delivery == purchased + timedelta(days=6)
    assert [item.title for item in facts.items] == ["Stoneware Mug Set (4 pieces)"]

    # The buyer writes again about the same order: it is known now, nothing is asked.
    assert channel.store(fixture_bytes(FOLLOW_UP), "test").kind == "buyer"
    assert _operations(amazon) == ["getOrder", "getOrderItems"]


@pytest.mark.slow
def test_with_the_real_model_the_draft_states_the_fetched_order(
    demo_kb_template: Any, real_embedder: Any, tmp_path: Path, amazon: FakeAmazon
) -> None:
    from tests.kb_editor_support import demo_services

    purchased = date.today() - timedelta(days=3)
    _on_amazon(amazon, purchased=purchased)
    services = demo_services(
        demo_kb_template,
        embedder=real_embedder,
        directory=tmp_path,
        worker_in_process=False,
        sp_api_refresh_token=SecretStr(REFRESH_TOKEN),
        sp_api_client_id=SecretStr(CLIENT_ID),
        sp_api_client_secret=SecretStr("amzn1.oa2-cs.v1.fake-client-secret"),
        sp_api_marketplace_ids=[US],
        sp_api_endpoint=amazon.url,
        sp_api_token_url=amazon.token_url,
    )
    try:
        workflow = services.workflow
        assert services.mail_channel is not None
        services.mail_channel.store(fixture_bytes(MAIL), "test")
        assert DraftingWorker(workflow=workflow).run_until_idle() == 1
        (draft,) = workflow.list_drafts()
        text = workflow.get_draft(draft_id=draft.id).text
    finally:
        services.close()
    expected = purchased + timedelta(days=6)
    assert f"Order {ORDER} is currently shipped." in text
    assert f"expected to arrive by {expected.day} {expected:%B %Y}" in text


@pytest.mark.parametrize(
    "trouble",
    ["api_down", "credentials_refused", "not_on_amazon", "slow"],
)
def test_when_the_fetch_fails_the_mail_is_still_stored_and_drafted(
    fake_drafter_services: Services, amazon: FakeAmazon, trouble: str
) -> None:
    _on_amazon(amazon, purchased=date.today() - timedelta(days=3))
    orders = fake_drafter_services.marketplace_orders
    assert orders is not None
    if trouble == "api_down":
        amazon.fail_next("getOrder", status=503, times=10)
    elif trouble == "credentials_refused":
        orders.tokens._credentials = replace(orders.tokens._credentials, client_secret="revoked")
    elif trouble == "not_on_amazon":
        amazon.orders.clear()
    else:
        orders.fetcher.wait_seconds = 0.3
        amazon.delay("getOrder", 1.5)
    fake_drafter_services.workflow  # noqa: B018 - builds the mail channel
    channel = fake_drafter_services.mail_channel
    assert channel is not None

    stored = channel.store(fixture_bytes(MAIL), "test")

    assert stored.kind == "buyer" and stored.conversation_id
    assert DraftingWorker(workflow=fake_drafter_services.workflow).run_until_idle() == 1
    with fake_drafter_services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1
        assert session.scalar(select(func.count()).select_from(InboundMail)) == 1
        fetched = get_order(session, order_id=ORDER)
    assert len(fake_drafter_services.workflow.list_drafts()) == 1
    if trouble == "slow":
        # The mail did not wait for the slow answer (the order was not there when the mail
        # was stored and drafted); the order is stored when the answer comes.
        assert fetched is None
        deadline = time.monotonic() + 10
        while fetched is None and time.monotonic() < deadline:
            time.sleep(0.05)
            with fake_drafter_services.session_factory() as session:
                fetched = get_order(session, order_id=ORDER)
        assert fetched is not None
    else:
        assert fetched is None
    expected_calls = {"api_down": 2, "credentials_refused": 0, "not_on_amazon": 1, "slow": 2}
    assert len(amazon.requests) == expected_calls[trouble]
