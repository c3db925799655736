"""The demo orders keep telling the same story on every day of the year."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from bot.orders import OrderStatus, demo_orders
from bot.orders import demo as demo_ids
from bot.orders.repository import order_facts
from bot.policy import DEMO_POLICY_FILE, PolicyRules, load_policy, verdicts_for_topic

# Two years around a leap day and both holiday seasons, one day at a time.
DAYS = [date(2027, 9, 1) + timedelta(days=n) for n in range(2 * 366)]


@pytest.fixture(scope="module")
def rules() -> PolicyRules:
    return load_policy(DEMO_POLICY_FILE)


def test_every_case_is_present() -> None:
    orders = {order.order_id: order for order in demo_orders(date(2027, 6, 15))}
    assert len(orders) == 17
    statuses = {order.status for order in orders.values()}
    assert statuses >= {
        OrderStatus.DELIVERED,
        OrderStatus.SHIPPED,
        OrderStatus.UNSHIPPED,
        OrderStatus.PENDING,
        OrderStatus.CANCELED,
        OrderStatus.PARTIALLY_SHIPPED,
    }
    in_transit = orders[demo_ids.SHIPPED_IN_TRANSIT]
    assert in_transit.carrier and in_transit.tracking_number and in_transit.estimated_delivery
    assert in_transit.delivered_at is None
    assert orders[demo_ids.MARKETPLACE_FULFILLED].fulfillment_channel == "marketplace"
    assert len(orders[demo_ids.PARTIALLY_SHIPPED].items) == 3
    assert orders[demo_ids.NO_DELIVERY_DATE].delivered_at is None


def test_dates_are_relative_to_today() -> None:
    for today in (date(2027, 3, 1), date(2028, 2, 29)):
        orders = {order.order_id: order for order in demo_orders(today)}
        assert orders[demo_ids.DELIVERED_10_DAYS_AGO].delivered_at == today - timedelta(days=10)
        assert orders[demo_ids.DELIVERED_45_DAYS_AGO].delivered_at == today - timedelta(days=45)
        assert orders[demo_ids.PENDING].purchase_date == today


def test_kettle_stories_hold_on_every_day(rules: PolicyRules) -> None:
    for today in DAYS:
        orders = {o.order_id: order_facts(o) for o in demo_orders(today)}
        for order in orders.values():
            for day in (order.shipped_at, order.delivered_at):
                assert day is None or order.purchase_date is None or day >= order.purchase_date
            assert order.purchase_date is not None and order.purchase_date <= today
        recent = verdicts_for_topic(
            rules,
            topic="check_refund_policy",
            order=orders[demo_ids.DELIVERED_10_DAYS_AGO],
            reason=None,
            today=today,
            message="can I still return the kettle?",
        )
        assert recent[0].eligible and recent[0].deadline is not None, today
        assert recent[0].deadline >= today + timedelta(days=20)
        old = verdicts_for_topic(
            rules,
            topic="check_refund_policy",
            order=orders[demo_ids.DELIVERED_45_DAYS_AGO],
            reason=None,
            today=today,
            message="can I still return the kettle?",
        )
        assert not old[0].eligible, today
        assert "2-year warranty on small appliances" in old[0].text
        assert [v.kind for v in old] == ["return", "warranty"]


GERMAN = (
    demo_ids.DE_SHIPPED_IN_TRANSIT,
    demo_ids.DE_DELIVERED_7_DAYS_AGO,
    demo_ids.DE_DELIVERED_50_DAYS_AGO,
)
JAPANESE = (
    demo_ids.JP_SHIPPED_IN_TRANSIT,
    demo_ids.JP_DELIVERED_6_DAYS_AGO,
    demo_ids.JP_DELIVERED_40_DAYS_AGO,
)


def test_german_and_japanese_orders_are_on_their_own_marketplaces() -> None:
    orders = {order.order_id: order for order in demo_orders(date(2027, 6, 15))}
    for ids, marketplace, currency, carriers, tracking in (
        (GERMAN, "Amazon.de", "EUR", {"DHL"}, r"00340434\d{12}"),
        (JAPANESE, "Amazon.co.jp", "JPY", {"ヤマト運輸", "日本郵便"}, r"\d{12}"),
    ):
        assert marketplace in demo_ids.MARKETPLACE_IDS
        for order_id in ids:
            order = orders[order_id]
            assert (order.marketplace, order.currency) == (marketplace, currency), order_id
            assert order.carrier in carriers and order.fulfillment_channel == "seller"
            assert order.tracking_number and re.fullmatch(tracking, order.tracking_number)
            assert order.buyer_name and len(order.buyer_name.split()) == 2
    assert all(
        item.price == item.price.to_integral_value()
        for order_id in JAPANESE
        for item in orders[order_id].items
    ), "yen have no cents"
    in_transit = [orders[demo_ids.DE_SHIPPED_IN_TRANSIT], orders[demo_ids.JP_SHIPPED_IN_TRANSIT]]
    assert all(o.estimated_delivery and o.delivered_at is None for o in in_transit)
    # The Amazon.com orders are unchanged: many tests and eval files name them.
    assert orders[demo_ids.DELIVERED_10_DAYS_AGO].marketplace == "Amazon.com"
    assert len({o.order_id for o in orders.values()}) == len(orders)


def _returns(rules: PolicyRules, order: Any, today: date) -> Any:
    return verdicts_for_topic(
        rules, topic="check_refund_policy", order=order, reason=None, today=today, message=None
    )


def test_german_and_japanese_verdicts_hold_on_every_day(rules: PolicyRules) -> None:
    for today in DAYS:
        orders = {o.order_id: order_facts(o) for o in demo_orders(today)}
        for order_id in (*GERMAN, *JAPANESE):
            order = orders[order_id]
            assert order.purchase_date is not None and order.purchase_date <= today
            for day in (order.shipped_at, order.delivered_at):
                assert day is None or day >= order.purchase_date

        for order_id in (demo_ids.DE_DELIVERED_7_DAYS_AGO, demo_ids.JP_DELIVERED_6_DAYS_AGO):
            verdict = _returns(rules, orders[order_id], today)[0]
            assert verdict.kind == "return" and verdict.eligible, (order_id, today)
            assert verdict.deadline is not None and verdict.deadline >= today + timedelta(days=20)
        for order_id in (demo_ids.DE_DELIVERED_50_DAYS_AGO, demo_ids.JP_DELIVERED_40_DAYS_AGO):
            verdicts = _returns(rules, orders[order_id], today)
            assert not verdicts[0].eligible, (order_id, today)
            assert [v.kind for v in verdicts] == ["return", "warranty"], (order_id, today)
        for order_id in (demo_ids.DE_SHIPPED_IN_TRANSIT, demo_ids.JP_SHIPPED_IN_TRANSIT):
            # Not delivered yet: the window counts from the expected delivery.
            verdict = _returns(rules, orders[order_id], today)[0]
            assert verdict.kind == "return" and verdict.eligible, (order_id, today)
            assert verdict.deadline is not None and verdict.deadline > today + timedelta(days=29)
