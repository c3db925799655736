"""Cancellation, refunds, exchanges and the topic entry point drafting calls."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict
from bot.orders.schemas import OrderLineFacts
from bot.orders.status import OrderStatus
from bot.policy import (
    DEMO_POLICY_FILE,
    PolicyRules,
    add_business_days,
    evaluate_cancellation,
    evaluate_change,
    evaluate_refund,
    items_in_question,
    load_policy,
    verdicts_for_topic,
)

KETTLE = OrderLineFacts(
    sku="BW-KET-17",
    title="Stainless steel electric kettle, 1.7 L",
    category="small_appliances",
    price=49.99,
    quantity_shipped=1,
)
MITTS = OrderLineFacts(
    sku="BW-MIT-2",
    title="Quilted oven mitts, pair",
    category="kitchen_textiles",
    price=14.99,
    quantity=2,
    quantity_shipped=2,
)
BLOCK = OrderLineFacts(
    sku="BW-BLK-6",
    title="Oak knife block, 6 slots",
    category="kitchen_storage",
    price=45.0,
    quantity_shipped=0,
)
TODAY = date(2026, 3, 12)


@pytest.fixture(scope="module")
def rules() -> PolicyRules:
    return load_policy(DEMO_POLICY_FILE)


def make_order(status: str, *items: OrderItemFacts, delivered: date | None = None) -> OrderFacts:
    return OrderFacts(
        order_id="112-2233445-5566778",
        status=status,
        purchase_date=date(2026, 3, 1),
        shipped_at=date(2026, 3, 3) if delivered else None,
        delivered_at=delivered,
        items=list(items) or [KETTLE],
    )


@pytest.mark.parametrize(
    ("status", "eligible", "rule"),
    [
        (OrderStatus.PENDING, True, "cancel.not_shipped"),
        (OrderStatus.PENDING_AVAILABILITY, True, "cancel.not_shipped"),
        (OrderStatus.UNSHIPPED, True, "cancel.not_shipped"),
        (OrderStatus.PARTIALLY_SHIPPED, True, "cancel.partially_shipped"),
        (OrderStatus.SHIPPED, False, "cancel.already_shipped"),
        (OrderStatus.INVOICE_UNCONFIRMED, False, "cancel.already_shipped"),
        (OrderStatus.DELIVERED, False, "cancel.already_shipped"),
        (OrderStatus.CANCELED, False, "cancel.already_canceled"),
        (OrderStatus.UNFULFILLABLE, False, "cancel.unfulfillable"),
    ],
)
def test_cancellation_follows_every_status(
    rules: PolicyRules, status: OrderStatus, eligible: bool, rule: str
) -> None:
    verdict = evaluate_cancellation(rules, order=make_order(status.value))
    assert verdict.kind == "cancel" and verdict.eligible is eligible
    assert verdict.rule_ids[0] == rule and verdict.fee_percent == 0
    if eligible:
        assert "free of charge" in verdict.text and "cancel.no_fee" in verdict.rule_ids


def test_shipped_order_explains_the_return_instead(rules: PolicyRules) -> None:
    delivered = evaluate_cancellation(
        rules, order=make_order("delivered", delivered=date(2026, 3, 5)), today=TODAY
    )
    assert delivered.text == (
        "Order 112-2233445-5566778 has already been delivered, so it can't be canceled — but it "
        "can be returned instead until 4 April 2026."
    )
    in_transit = evaluate_cancellation(rules, order=make_order("Shipped"))
    assert "once it arrives you can return it within 30 days of delivery" in in_transit.text
    too_late = evaluate_cancellation(
        rules, order=make_order("delivered", delivered=date(2026, 1, 5)), today=TODAY
    )
    assert "return window has closed" in too_late.text
    board = OrderItemFacts(sku="BRD", title="Engraved oak board", category="personalised")
    engraved = evaluate_cancellation(
        rules, order=make_order("delivered", board, delivered=date(2026, 3, 5)), today=TODAY
    )
    # Never "return it instead" for an order with nothing returnable in it.
    assert engraved.text == (
        "Order 112-2233445-5566778 has already been delivered, so it can't be canceled."
    )


def test_partial_shipment_names_what_can_still_be_canceled(rules: PolicyRules) -> None:
    order = make_order("PARTIALLY_SHIPPED", KETTLE, MITTS, BLOCK)
    verdict = evaluate_cancellation(rules, order=order)
    assert verdict.eligible
    assert "(stainless steel electric kettle and quilted oven mitts)" in verdict.text
    assert "(oak knife block) can still be canceled" in verdict.text
    unknown_lines = make_order("PartiallyShipped", OrderItemFacts(sku="a", title="Kettle"))
    assert (
        "only the items that haven't shipped yet"
        in evaluate_cancellation(rules, order=unknown_lines).text
    )


def test_refund_timing_counts_business_days(rules: PolicyRules) -> None:
    order = make_order("delivered", delivered=date(2026, 3, 5))
    friday = date(2026, 3, 6)
    verdict = evaluate_refund(
        rules,
        order=order,
        item=KETTLE,
        reason="changed_mind",
        today=TODAY,
        return_received=friday,
    )
    assert verdict.eligible and verdict.deadline == date(2026, 3, 10)  # Tuesday
    assert verdict.refund_method == "original_payment_method"
    assert "refund.timing.2bd" in verdict.rule_ids
    assert "is due by 10 March 2026" in verdict.text
    assert add_business_days(friday, 2, non_business_days=[date(2026, 3, 9)]) == date(2026, 3, 11)
    before_return = evaluate_refund(rules, order=order, item=KETTLE, reason=None, today=TODAY)
    assert before_return.deadline == date(2026, 4, 4)
    assert before_return.refund_timing_text == "within 2 business days after your return arrives"
    assert "please send it back by 4 April 2026" in before_return.text


@pytest.mark.parametrize(
    ("item", "reason", "method"),
    [
        (MITTS, "damaged", "returnless"),  # cheap, seller at fault
        (MITTS, "changed_mind", "original_payment_method"),  # buyer's choice: send it back
        (KETTLE, "defective", "original_payment_method"),  # small appliances are excluded
        (BLOCK.model_copy(update={"quantity_shipped": 1}), "damaged", "original_payment_method"),
    ],
)
def test_returnless_refund_thresholds(
    rules: PolicyRules, item: OrderItemFacts, reason: str, method: str
) -> None:
    order = make_order("delivered", item, delivered=date(2026, 3, 5))
    verdict = evaluate_refund(rules, order=order, item=item, reason=reason, today=TODAY)
    assert verdict.eligible and verdict.refund_method == method
    assert ("refund.returnless" in verdict.rule_ids) is (method == "returnless")


def test_never_a_refund_outside_the_policy(rules: PolicyRules) -> None:
    order = make_order("delivered", MITTS, delivered=date(2026, 1, 2))
    verdict = evaluate_refund(rules, order=order, item=MITTS, reason="damaged", today=TODAY)
    assert not verdict.eligible and verdict.refund_method is None
    assert verdict.rule_ids[-1] == "refund.requires_return"


def test_refund_before_shipping_and_after_cancellation(rules: PolicyRules) -> None:
    unshipped = evaluate_refund(
        rules, order=make_order("Unshipped"), item=KETTLE, reason=None, today=TODAY
    )
    assert unshipped.eligible and unshipped.rule_ids[0] == "refund.cancel_first"
    canceled = evaluate_refund(
        rules, order=make_order("CANCELLED"), item=KETTLE, reason=None, today=TODAY
    )
    assert canceled.eligible and canceled.rule_ids == ["refund.order_canceled"]


def test_change_order(rules: PolicyRules) -> None:
    before = evaluate_change(
        rules, order=make_order("pending"), item=KETTLE, reason=None, today=TODAY
    )
    assert before.kind == "exchange" and before.eligible
    assert before.rule_ids[0] == "exchange.cancel_and_reorder"
    after = evaluate_change(
        rules,
        order=make_order("delivered", delivered=date(2026, 3, 5)),
        item=KETTLE,
        reason=None,
        today=TODAY,
    )
    assert after.eligible and after.deadline == date(2026, 4, 4)
    assert "return it by 4 April 2026 and place a new order" in after.text
    late = evaluate_change(
        rules,
        order=make_order("delivered", delivered=date(2026, 1, 5)),
        item=KETTLE,
        reason=None,
        today=TODAY,
    )
    assert late.kind == "exchange" and not late.eligible
    assert "exchange.via_return" in late.rule_ids


def kinds(verdicts: list[PolicyVerdict]) -> list[tuple[str, bool]]:
    return [(v.kind, v.eligible) for v in verdicts]


@pytest.mark.parametrize(
    ("topic", "status", "expected"),
    [
        ("check_refund_policy", "delivered", [("return", True)]),
        ("get_refund", "delivered", [("return", True), ("refund", True)]),
        ("track_refund", "delivered", [("refund", True)]),
        ("cancel_order", "unshipped", [("cancel", True)]),
        ("cancel_order", "delivered", [("cancel", False), ("return", True)]),
        ("check_cancellation_fee", "pending", [("cancel", True)]),
        ("change_order", "delivered", [("exchange", True)]),
        ("warranty", "delivered", [("warranty", True)]),
        ("track_order", "shipped", []),
        ("delivery_period", "shipped", []),
        (None, "shipped", []),
    ],
)
def test_verdicts_for_each_topic(
    rules: PolicyRules, topic: str | None, status: str, expected: list[tuple[str, bool]]
) -> None:
    delivered = date(2026, 3, 5) if status == "delivered" else None
    order = make_order(status, delivered=delivered)
    verdicts = verdicts_for_topic(rules, topic=topic, order=order, reason=None, today=TODAY)
    assert kinds(verdicts) == expected


def test_no_order_no_verdicts(rules: PolicyRules) -> None:
    assert (
        verdicts_for_topic(rules, topic="check_refund_policy", order=None, reason=None, today=TODAY)
        == []
    )


def test_out_of_window_return_adds_the_warranty(rules: PolicyRules) -> None:
    order = make_order("delivered", delivered=date(2026, 1, 5))
    verdicts = verdicts_for_topic(
        rules, topic="check_refund_policy", order=order, reason=None, today=TODAY
    )
    assert kinds(verdicts) == [("return", False), ("warranty", True)]
    assert verdicts[1].deadline == date(2028, 1, 5)


def test_multi_item_orders_narrow_to_the_item_named(rules: PolicyRules) -> None:
    pan = OrderItemFacts(
        sku="BW-PAN-3",
        title="Ceramic non-stick pan set, 3 pieces",
        category="cookware",
        price=79.99,
    )
    order = make_order("delivered", KETTLE, pan, delivered=date(2026, 3, 5))
    assert items_in_question(order, "can I still return the kettle?") == [KETTLE]
    assert items_in_question(order, "the pans are scratched") == [pan]
    assert items_in_question(order, "can I return my order?") == [KETTLE, pan]
    both = verdicts_for_topic(
        rules,
        topic="check_refund_policy",
        order=order,
        reason=None,
        today=TODAY,
        message="I want to send it back",
    )
    assert len(both) == 2 and "kettle" in both[0].text and "pan set" in both[1].text
    one = verdicts_for_topic(
        rules,
        topic="check_refund_policy",
        order=order,
        reason=None,
        today=TODAY,
        message="can I still return the kettle?",
    )
    assert len(one) == 1 and "kettle" in one[0].text


def test_every_sentence_is_plain_and_kind(rules: PolicyRules) -> None:
    topics = ["check_refund_policy", "get_refund", "cancel_order", "change_order", "warranty"]
    statuses = [s.value for s in OrderStatus]
    for status in statuses:
        for delivered in (None, date(2026, 3, 5), date(2025, 12, 1)):
            order = make_order(status, KETTLE, MITTS, delivered=delivered)
            for topic in topics:
                for verdict in verdicts_for_topic(
                    rules, topic=topic, order=order, reason="changed_mind", today=TODAY
                ):
                    text = verdict.text
                    assert text[0].isupper() and text.endswith(".")
                    assert text.count(". ") == 0, text  # one sentence
                    lowered = text.lower()
                    for phrase in (
                        "unfortunately",
                        "as per our policy",
                        "you should have",
                        "regret any inconvenience",
                    ):
                        assert phrase not in lowered
                    assert verdict.fee_percent <= 50


@pytest.mark.parametrize(
    ("currency", "price", "method"),
    [
        (None, 14.99, "returnless"),  # an order without a currency is in the policy's own
        ("USD", 14.99, "returnless"),
        ("EUR", 14.99, "returnless"),  # the policy's euro limit is 20.00
        ("JPY", 1980.0, "returnless"),  # … and its yen limit 3000
        ("JPY", 4980.0, "original_payment_method"),
        ("GBP", 1.0, "original_payment_method"),  # no pound limit: never a guessed rate
    ],
)
def test_returnless_limit_is_read_in_the_orders_currency(
    rules: PolicyRules, currency: str | None, price: float, method: str
) -> None:
    mitts = MITTS.model_copy(update={"price": price})
    order = make_order("delivered", mitts, delivered=date(2026, 3, 5)).model_copy(
        update={"currency": currency}
    )
    verdict = evaluate_refund(rules, order=order, item=mitts, reason="damaged", today=TODAY)
    assert verdict.eligible and verdict.refund_method == method


def test_a_limit_in_an_unknown_currency_code_is_refused() -> None:
    with pytest.raises(ValidationError, match="max_item_price_by_currency"):
        PolicyRules.model_validate(
            {"returnless_refund": {"enabled": True, "max_item_price_by_currency": {"euro": 20}}}
        )


@pytest.mark.parametrize("topic", ["get_refund", "track_refund", "return_item"])
def test_an_item_already_sent_back_gets_the_refund_timing_only(
    rules: PolicyRules, topic: str
) -> None:
    order = make_order("delivered", KETTLE, delivered=date(2026, 3, 5))
    verdicts = verdicts_for_topic(
        rules, topic=topic, order=order, reason=None, today=TODAY,
        message="sent back the kettle on monday, when do i get my money?",
    )
    assert [v.kind for v in verdicts] == ["refund"]
    [refund] = verdicts
    assert refund.eligible and refund.deadline is None
    assert "send it back by" not in refund.text
    assert "within 2 business days after it arrives" in refund.text
    # Still asking whether to send it: the return window is stated.
    asking = verdicts_for_topic(rules, topic="get_refund", order=order, reason=None,
                                today=TODAY, message="can i send the kettle back for my money?")
    assert [v.kind for v in asking] == ["return", "refund"]
