"""Return windows decided in code: edges, time zones, holiday season, leap years, fees."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from bot.facts import OrderFacts, OrderItemFacts
from bot.orders.schemas import OrderLineFacts
from bot.policy import (
    DEMO_POLICY_FILE,
    PolicyError,
    PolicyRules,
    evaluate_return,
    load_policy,
    parse_policy,
    seller_today,
)
from bot.policy.dates import add_months, holiday_deadline

KETTLE = OrderLineFacts(
    sku="BW-KET-17",
    title="Stainless steel electric kettle, 1.7 L",
    category="small_appliances",
    price=49.99,
    quantity=1,
    quantity_shipped=1,
)
BOARD = OrderItemFacts(sku="BW-BRD", title="Engraved oak chopping board", category="personalised")
KNIFE = OrderItemFacts(sku="BW-KNF", title="Chef's knife, 20 cm", category="knives", price=64.0)
SHEETS = OrderItemFacts(sku="BW-SHT", title="Percale sheet set, king", category="bedding")


def delivered_order(
    delivered: date | None,
    *,
    purchase: date | None = None,
    item: OrderItemFacts = KETTLE,
    status: str = "delivered",
    estimated: date | None = None,
) -> OrderFacts:
    bought = purchase or (delivered or estimated or date(2026, 3, 1)).replace(day=1)
    return OrderFacts(
        order_id="112-3456789-1234567",
        status=status,
        purchase_date=bought,
        delivered_at=delivered,
        estimated_delivery=estimated,
        items=[item],
    )


@pytest.fixture(scope="module")
def rules() -> PolicyRules:
    return load_policy(DEMO_POLICY_FILE)


def judge(rules: PolicyRules, order: OrderFacts, today: date | datetime, **kw: Any) -> Any:
    kw.setdefault("reason", None)
    return evaluate_return(rules, order=order, item=order.items[0], today=today, **kw)


def test_day_30_after_delivery_is_the_last_day(rules: PolicyRules) -> None:
    order = delivered_order(date(2026, 3, 2), purchase=date(2026, 2, 26))
    on_day_30 = judge(rules, order, date(2026, 4, 1))
    assert on_day_30.eligible and on_day_30.deadline == date(2026, 4, 1)
    assert on_day_30.rule_ids[0] == "return.window.30d"
    assert on_day_30.text == (
        "Your stainless steel electric kettle from order 112-3456789-1234567 can be returned "
        "until 1 April 2026 — that is 30 days after it was delivered on 2 March 2026."
    )
    on_day_31 = judge(rules, order, date(2026, 4, 2))
    assert not on_day_31.eligible and on_day_31.deadline == date(2026, 4, 1)
    assert "closed on 1 April 2026" in on_day_31.text


def test_closed_window_is_kind_and_offers_the_warranty(rules: PolicyRules) -> None:
    verdict = judge(rules, delivered_order(date(2026, 1, 10)), date(2026, 2, 24))
    assert not verdict.eligible
    assert verdict.rule_ids == ["return.window.30d", "warranty.small_appliances.24m"]
    assert "2-year warranty on small appliances until 10 January 2028" in verdict.text
    assert not verdict.text.lower().startswith(("unfortunately", "sorry"))
    assert "as per" not in verdict.text.lower()
    assert verdict.refund_method is None and verdict.fee_percent == 0


@pytest.mark.parametrize(
    ("now", "eligible"),
    [
        (datetime(2026, 4, 2, 6, 59, tzinfo=UTC), True),  # 23:59 on 1 April in California
        (datetime(2026, 4, 2, 7, 0, tzinfo=UTC), False),  # midnight: day 31 has begun
    ],
)
def test_today_is_the_sellers_local_day(rules: PolicyRules, now: datetime, eligible: bool) -> None:
    order = delivered_order(date(2026, 3, 2), purchase=date(2026, 2, 26))
    assert judge(rules, order, now).eligible is eligible


def test_time_zone_comes_from_the_policy() -> None:
    berlin = parse_policy({"timezone": "Europe/Berlin"})
    order = delivered_order(date(2026, 3, 2), purchase=date(2026, 2, 26))
    late_evening_utc = datetime(2026, 4, 1, 22, 30, tzinfo=UTC)  # already 2 April in Berlin
    assert not judge(berlin, order, late_evening_utc).eligible
    with pytest.raises(PolicyError):
        judge(berlin, order, datetime(2026, 4, 1, 12, 0))  # naive: which day would it be?


def test_frozen_clock_decides_through_seller_today(rules: PolicyRules) -> None:
    order = delivered_order(date(2026, 3, 2), purchase=date(2026, 2, 26))
    with time_machine.travel(datetime(2026, 4, 2, 5, 0, tzinfo=UTC), tick=False):
        today = seller_today(rules, now=datetime.now(UTC))
    assert today == date(2026, 4, 1)
    assert judge(rules, order, today).eligible


@pytest.mark.parametrize(
    ("purchase", "delivered", "today", "eligible", "deadline", "holiday"),
    [
        (date(2026, 11, 1), date(2026, 11, 5), date(2027, 1, 31), True, date(2027, 1, 31), True),
        (date(2026, 11, 1), date(2026, 11, 5), date(2027, 2, 1), False, date(2027, 1, 31), True),
        (date(2026, 12, 31), date(2027, 1, 3), date(2027, 2, 3), False, date(2027, 2, 2), False),
        (date(2026, 10, 31), date(2026, 11, 3), date(2026, 12, 4), False, date(2026, 12, 3), False),
        # Bought in the season but delivered late: the 30 days outlast 31 January.
        (date(2026, 12, 30), date(2027, 1, 20), date(2027, 2, 19), True, date(2027, 2, 19), False),
    ],
)
def test_holiday_window(
    rules: PolicyRules,
    purchase: date,
    delivered: date,
    today: date,
    eligible: bool,
    deadline: date,
    holiday: bool,
) -> None:
    verdict = judge(rules, delivered_order(delivered, purchase=purchase), today)
    assert verdict.eligible is eligible
    assert verdict.deadline == deadline
    assert ("return.holiday" in verdict.rule_ids) is holiday
    assert ("holiday season" in verdict.text) is holiday


def test_holiday_window_on_a_frozen_december_day(rules: PolicyRules) -> None:
    with time_machine.travel(datetime(2026, 12, 20, 18, 0, tzinfo=UTC), tick=False):
        today = seller_today(rules, now=datetime.now(UTC))
        verdict = judge(
            rules, delivered_order(date(2026, 11, 20), purchase=date(2026, 11, 15)), today
        )
    assert verdict.eligible and verdict.deadline == date(2027, 1, 31)


@pytest.mark.parametrize(
    ("delivered", "deadline"),
    [
        (date(2028, 2, 1), date(2028, 3, 2)),  # leap year: 29 days in February
        (date(2027, 2, 1), date(2027, 3, 3)),
        (date(2028, 1, 30), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 3, 30)),
    ],
)
def test_leap_years(rules: PolicyRules, delivered: date, deadline: date) -> None:
    order = delivered_order(delivered, purchase=delivered.replace(day=1))
    assert judge(rules, order, deadline).eligible
    late = judge(rules, order, date.fromordinal(deadline.toordinal() + 1))
    assert not late.eligible and late.deadline == deadline


def test_leap_day_dates_in_warranty_and_holiday_rules() -> None:
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    window = parse_policy({"holiday_window": {"returnable_until": "02-29"}}).holiday_window
    assert holiday_deadline(window, date(2027, 12, 10)) == date(2028, 2, 29)
    assert holiday_deadline(window, date(2026, 12, 10)) == date(2027, 2, 28)
    assert holiday_deadline(window, date(2026, 10, 31)) is None


def test_missing_delivery_date_falls_back_to_the_estimate_and_says_so(rules: PolicyRules) -> None:
    order = delivered_order(
        None, status="shipped", estimated=date(2026, 3, 5), purchase=date(2026, 2, 27)
    )
    verdict = judge(rules, order, date(2026, 4, 4))
    assert verdict.eligible and verdict.deadline == date(2026, 4, 4)
    assert "return.basis.estimated_delivery" in verdict.rule_ids
    assert "expected delivery on 5 March 2026" in verdict.text
    assert "no confirmed delivery date" in verdict.text
    assert not judge(rules, order, date(2026, 4, 5)).eligible


def test_no_dates_at_all(rules: PolicyRules) -> None:
    on_its_way = judge(rules, delivered_order(None, status="shipped"), date(2026, 3, 9))
    assert on_its_way.eligible and on_its_way.deadline is None
    assert on_its_way.rule_ids == ["return.window.30d", "return.awaiting_delivery"]
    assert "once it is delivered you can return it within 30 days" in on_its_way.text
    no_record = judge(rules, delivered_order(None, status="delivered"), date(2026, 3, 9))
    assert "return.no_delivery_date" in no_record.rule_ids and no_record.deadline is None


def test_non_returnable_category_unless_the_seller_is_at_fault(rules: PolicyRules) -> None:
    order = delivered_order(date(2026, 3, 2), item=BOARD, purchase=date(2026, 2, 20))
    refused = judge(rules, order, date(2026, 3, 5), reason="changed_mind")
    assert not refused.eligible
    assert refused.rule_ids == ["return.category.personalised.non_returnable"]
    assert refused.text.startswith("Personalised items such as your engraved oak chopping board")
    assert "if it arrived damaged or faulty, we will put it right" in refused.text
    damaged = judge(rules, order, date(2026, 3, 5), reason="damaged")
    assert damaged.eligible
    assert "return.seller_fault_override" in damaged.rule_ids
    assert damaged.rule_ids[-1] == "fee.none.seller_fault" and damaged.fee_percent == 0


def test_longer_category_window(rules: PolicyRules) -> None:
    order = delivered_order(date(2026, 3, 2), item=SHEETS, purchase=date(2026, 2, 20))
    verdict = judge(rules, order, date(2026, 5, 1))
    assert verdict.eligible and verdict.deadline == date(2026, 5, 1)
    assert verdict.rule_ids[:2] == ["return.window.60d", "return.category.bedding.window"]
    assert "the return window for bedding" in verdict.text
    assert "unused and in its original packaging for hygiene reasons" in verdict.text


def test_condition_rules_and_restocking_fees(rules: PolicyRules) -> None:
    order = delivered_order(date(2026, 3, 2), purchase=date(2026, 2, 20))
    used = judge(rules, order, date(2026, 3, 9), reason="changed_mind", condition="used")
    assert used.eligible and used.fee_percent == 20
    assert used.rule_ids[-1] == "fee.condition.used"
    assert "restocking fee of up to 20% of the price applies because it has been used" in used.text
    faulty_but_used = judge(rules, order, date(2026, 3, 9), reason="defective", condition="used")
    assert faulty_but_used.fee_percent == 0 and "fee.none.seller_fault" in faulty_but_used.rule_ids
    original = judge(rules, order, date(2026, 3, 9), reason="changed_mind", condition="original")
    assert original.fee_percent == 0 and "fee.none.original_condition" in original.rule_ids
    broken_by_buyer = judge(rules, order, date(2026, 3, 9), condition="damaged_by_buyer")
    assert not broken_by_buyer.eligible
    assert broken_by_buyer.rule_ids[0] == "return.condition.damaged_by_buyer"
    with pytest.raises(PolicyError):
        judge(rules, order, date(2026, 3, 9), condition="like new-ish")


def test_original_condition_only_category(rules: PolicyRules) -> None:
    order = delivered_order(date(2026, 3, 2), item=KNIFE, purchase=date(2026, 2, 20))
    opened = judge(rules, order, date(2026, 3, 9), condition="opened", reason="changed_mind")
    assert not opened.eligible
    assert opened.rule_ids[0] == "return.category.knives.original_condition_only"
    assert "for safety reasons" in opened.text and "10-year warranty on knives" in opened.text
    assert judge(rules, order, date(2026, 3, 9), condition="opened", reason="defective").eligible


@pytest.mark.parametrize(
    ("status", "rule"),
    [
        ("pending", "return.not_shipped"),
        ("Unshipped", "return.not_shipped"),
        ("PENDING_AVAILABILITY", "return.not_shipped"),
        ("Canceled", "return.order_canceled"),
        ("CANCELLED", "return.order_canceled"),
        ("unfulfillable", "return.order_unfulfillable"),
    ],
)
def test_nothing_to_return_before_shipping(rules: PolicyRules, status: str, rule: str) -> None:
    verdict = judge(rules, delivered_order(None, status=status), date(2026, 3, 9))
    assert not verdict.eligible and verdict.rule_ids == [rule]
    assert "nothing to send back" in verdict.text


def test_partial_shipment_item_not_yet_shipped(rules: PolicyRules) -> None:
    waiting = OrderLineFacts(sku="BW-BLK", title="Oak knife block", quantity_shipped=0)
    order = OrderFacts(
        order_id="112-7788990-0011223",
        status="PartiallyShipped",
        purchase_date=date(2026, 3, 1),
        shipped_at=date(2026, 3, 2),
        estimated_delivery=date(2026, 3, 6),
        items=[KETTLE, waiting],
    )
    unshipped = evaluate_return(
        rules, order=order, item=waiting, reason=None, today=date(2026, 3, 3)
    )
    assert unshipped.rule_ids == ["return.item_not_shipped"]
    assert "that part of the order can still be canceled" in unshipped.text
    shipped = evaluate_return(rules, order=order, item=KETTLE, reason=None, today=date(2026, 3, 3))
    assert shipped.eligible and shipped.deadline == date(2026, 4, 5)
