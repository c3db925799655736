"""Return eligibility: window from delivery, holiday season, category and condition rules,
restocking fee and warranty — decided in code, explained in one kind sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict
from bot.orders.errors import UnknownOrderStatus
from bot.orders.status import NOT_YET_SHIPPED, OrderStatus, parse_order_status
from bot.policy.dates import add_months, format_day, format_month_day, holiday_deadline, local_day
from bot.policy.errors import PolicyError
from bot.policy.rules import CategoryRule, PolicyRules
from bot.policy.wording import capitalise, duration, your_item

ShipmentState = Literal["not_shipped", "item_not_shipped", "shipped", "canceled", "unfulfillable"]
Basis = Literal["delivered", "estimated", "none"]


def order_status(order: OrderFacts) -> OrderStatus | None:
    """The order's status, or None for a spelling no source uses."""
    try:
        return parse_order_status(order.status)
    except UnknownOrderStatus:
        return None


def shipment_state(order: OrderFacts, item: OrderItemFacts | None) -> ShipmentState:
    """Where the order (or this line of it) is, from the order's status."""
    status = order_status(order)
    if status is OrderStatus.CANCELED:
        return "canceled"
    if status is OrderStatus.UNFULFILLABLE:
        return "unfulfillable"
    if status in NOT_YET_SHIPPED:
        return "not_shipped"
    # quantity_shipped is read defensively: OrderItemFacts may not carry it.
    if status is OrderStatus.PARTIALLY_SHIPPED and getattr(item, "quantity_shipped", None) == 0:
        return "item_not_shipped"
    # Unknown statuses count as shipped: a draft must never promise a cancellation on a guess.
    return "shipped"


def category_key(item: OrderItemFacts | None) -> str | None:
    """The item's category as policy keys spell it (``Small Appliances`` → ``small_appliances``)."""
    if item is None or not item.category:
        return None
    return "_".join(item.category.replace("-", " ").lower().split())


def category_label(rules: PolicyRules, key: str) -> str:
    """The category's plural name for sentences (``small appliances``)."""
    rule = rules.category(key)
    return rule.label if rule and rule.label else key.replace("_", " ")


def _because(text: str | None) -> str:
    return f" {text}" if text else ""


@dataclass(frozen=True)
class ReturnWindow:
    """How long an item can be returned and why; independent of today's date."""

    basis: Basis
    start: date | None
    days: int
    deadline: date | None
    holiday: bool
    rule_ids: list[str] = field(default_factory=list)


def return_window(
    rules: PolicyRules, *, order: OrderFacts, item: OrderItemFacts | None
) -> ReturnWindow:
    """Delivery (or, failing that, the estimated delivery) plus the category's or the default
    window, extended to the holiday deadline when the item was bought in the holiday season
    and that is later."""
    key = category_key(item)
    category = rules.category(key)
    longer = category.window_days if category and category.window_days else None
    days = longer or rules.return_window_days
    rule_ids = [f"return.window.{days}d"]
    if longer:
        rule_ids.append(f"return.category.{key}.window")
    basis: Basis
    if order.delivered_at is not None:
        basis, start = "delivered", order.delivered_at
    elif order.estimated_delivery is not None:
        basis, start = "estimated", order.estimated_delivery
        rule_ids.append("return.basis.estimated_delivery")
    else:
        return ReturnWindow("none", None, days, None, False, rule_ids)
    deadline = start + timedelta(days=days)
    holiday = False
    if order.purchase_date is not None:
        extended = holiday_deadline(rules.holiday_window, order.purchase_date)
        if extended is not None and extended > deadline:
            deadline, holiday = extended, True
            rule_ids.append("return.holiday")
    return ReturnWindow(basis, start, days, deadline, holiday, rule_ids)


@dataclass(frozen=True)
class Warranty:
    until: date
    months: int
    label: str
    rule_id: str


def warranty_for(
    rules: PolicyRules, *, order: OrderFacts, item: OrderItemFacts | None
) -> Warranty | None:
    """The item's category warranty, counted from delivery (or purchase when not delivered)."""
    key = category_key(item)
    category = rules.category(key)
    if key is None or category is None or not category.warranty_months:
        return None
    start = order.delivered_at or order.estimated_delivery or order.purchase_date
    if start is None:
        return None
    months = category.warranty_months
    return Warranty(
        until=add_months(start, months),
        months=months,
        label=category_label(rules, key),
        rule_id=f"warranty.{key}.{months}m",
    )


def alternative(
    rules: PolicyRules, *, order: OrderFacts, item: OrderItemFacts | None, day: date
) -> tuple[str, list[str]]:
    """What the buyer can do instead of a return: the warranty while it runs, else a person."""
    warranty = warranty_for(rules, order=order, item=item)
    if warranty is not None and day <= warranty.until:
        return (
            f"but it is still covered by our {duration(warranty.months)} warranty on "
            f"{warranty.label} until {format_day(warranty.until)}, so if anything is wrong "
            "with it we can repair or replace it",
            [warranty.rule_id],
        )
    return "but if something is wrong with it, our team will gladly look at what we can do", []


def restocking_fee(
    rules: PolicyRules, *, reason: str | None, condition: str | None
) -> tuple[float, str, str]:
    """The fee in percent, the rule that set it, and a clause for the text ("" when none).

    Never a fee when the seller is at fault or the item comes back in original condition
    (an unknown condition counts as original until the return is inspected); otherwise the
    condition's fee, capped by the policy maximum (itself never above 50%)."""
    if reason in rules.seller_fault_reasons:
        return 0.0, "fee.none.seller_fault", ""
    rule = rules.conditions.get(condition) if condition else None
    if rule is None or rule.restocking_fee_percent == 0:
        return 0.0, "fee.none.original_condition", ""
    fee = min(rule.restocking_fee_percent, rules.restocking_fee.max_percent)
    return (
        fee,
        f"fee.condition.{condition}",
        f"a restocking fee of up to {fee:g}% of the price applies because it {rule.describes}",
    )


def _verdict(
    rules: PolicyRules,
    *,
    eligible: bool,
    text: str,
    rule_ids: list[str],
    deadline: date | None = None,
    fee_percent: float = 0.0,
) -> PolicyVerdict:
    days = rules.refund.business_days_after_return
    return PolicyVerdict(
        kind="return",
        eligible=eligible,
        deadline=deadline,
        fee_percent=fee_percent,
        rule_ids=rule_ids,
        text=text,
        refund_method=rules.refund.method if eligible else None,
        refund_timing_text=(
            f"within {days} business days after your return arrives" if eligible else None
        ),
    )


def _not_sent_yet(
    rules: PolicyRules, state: ShipmentState, order: OrderFacts, item: OrderItemFacts | None
) -> PolicyVerdict:
    subject = capitalise(your_item(item, order.order_id))
    texts = {
        "canceled": f"Order {order.order_id} was canceled, so there is nothing to send back.",
        "unfulfillable": f"Order {order.order_id} could not be fulfilled and never shipped, so "
        "there is nothing to send back.",
        "item_not_shipped": f"{subject} hasn't shipped yet, so there is nothing to send back — "
        "that part of the order can still be canceled instead, free of charge.",
        "not_shipped": f"{subject} hasn't shipped yet, so there is nothing to send back — the "
        "order can still be canceled instead, free of charge.",
    }
    rule = {
        "canceled": "return.order_canceled",
        "unfulfillable": "return.order_unfulfillable",
        "item_not_shipped": "return.item_not_shipped",
        "not_shipped": "return.not_shipped",
    }
    return _verdict(rules, eligible=False, text=texts[state], rule_ids=[rule[state]])


def _exclusion(
    rules: PolicyRules,
    *,
    key: str | None,
    category: CategoryRule | None,
    condition: str | None,
    subject: str,
) -> tuple[str, str] | None:
    """The category or condition rule that excludes this return, with its sentence start."""
    label = capitalise(category_label(rules, key)) if key else ""
    if category is not None and not category.returnable:
        return (
            f"return.category.{key}.non_returnable",
            f"{label} such as {subject} can't be returned"
            f"{_because(category.non_returnable_because)}",
        )
    condition_rule = rules.conditions.get(condition) if condition else None
    if condition_rule is not None and not condition_rule.returnable:
        return (
            f"return.condition.{condition}",
            f"{capitalise(subject)} can't be returned because it {condition_rule.describes}",
        )
    if category and category.original_condition_only and condition_rule and condition != "original":
        return (
            f"return.category.{key}.original_condition_only",
            f"{label} can only be returned unused and in their original packaging"
            f"{_because(category.original_condition_because)}, and {subject} "
            f"{condition_rule.describes}",
        )
    return None


def _why(rules: PolicyRules, window: ReturnWindow, key: str | None, *, closed: bool) -> str:
    """Why the deadline is what it is, as a clause (present tense, or past once closed)."""
    assert window.start is not None
    if window.holiday:
        hw = rules.holiday_window
        why = (
            "it was bought in the holiday season, between "
            f"{format_month_day(hw.purchased_from)} and {format_month_day(hw.purchased_until)}, "
            f"so the holiday return window {'applied' if closed else 'applies'}"
        )
        if window.basis == "estimated":
            why += ", and the order has no confirmed delivery date"
        return why
    lead = "" if closed else "that is "
    if window.basis == "delivered":
        why = f"{lead}{window.days} days after it was delivered on {format_day(window.start)}"
    else:
        why = (
            f"{lead}{window.days} days after its expected delivery on "
            f"{format_day(window.start)}, as the order has no confirmed delivery date"
        )
    if key and f"return.category.{key}.window" in window.rule_ids:
        why += f", the return window for {category_label(rules, key)}"
    return why


def evaluate_return(
    rules: PolicyRules,
    *,
    order: OrderFacts,
    item: OrderItemFacts | None,
    reason: str | None,
    today: date | datetime,
    condition: str | None = None,
) -> PolicyVerdict:
    """Can ``item`` of ``order`` be returned ``today``?

    ``today`` is a date, or an aware datetime taken in the seller's time zone. ``reason`` is
    a :data:`~bot.policy.rules.RETURN_REASONS` id or None; seller-fault reasons (damaged,
    defective, wrong item, …) waive the restocking fee and the category/condition
    exclusions, never the window. ``condition`` is a key of the policy's ``conditions``
    (None: not known before the return is inspected). ``item`` None judges the whole order.
    """
    day = local_day(rules, today)
    state = shipment_state(order, item)
    if state != "shipped":
        return _not_sent_yet(rules, state, order, item)
    if condition is not None and condition not in rules.conditions:
        raise PolicyError(f"unknown item condition {condition!r}")
    subject = your_item(item, order.order_id)
    key = category_key(item)
    category = rules.category(key)
    seller_fault = reason in rules.seller_fault_reasons

    window = return_window(rules, order=order, item=item)
    rule_ids = list(window.rule_ids)
    exclusion = _exclusion(rules, key=key, category=category, condition=condition, subject=subject)
    if exclusion is not None:
        if not seller_fault:
            instead, extra = alternative(rules, order=order, item=item, day=day)
            if not extra:
                instead = "but if it arrived damaged or faulty, we will put it right"
            return _verdict(
                rules,
                eligible=False,
                text=f"{exclusion[1]} — {instead}.",
                rule_ids=[exclusion[0], *extra],
            )
        rule_ids += [exclusion[0], "return.seller_fault_override"]

    if window.deadline is None:
        if order_status(order) is OrderStatus.DELIVERED:
            text = (
                f"{capitalise(subject)} can be returned within {window.days} days of delivery; "
                "the order has no delivery date on record, so we will confirm the exact deadline."
            )
            rule_ids.append("return.no_delivery_date")
        else:
            text = (
                f"{capitalise(subject)} is on its way, and once it is delivered you can return it "
                f"within {window.days} days."
            )
            rule_ids.append("return.awaiting_delivery")
        return _verdict(rules, eligible=True, text=text, rule_ids=rule_ids)

    if day > window.deadline:
        instead, extra = alternative(rules, order=order, item=item, day=day)
        return _verdict(
            rules,
            eligible=False,
            text=f"The return window for {subject} closed on {format_day(window.deadline)} "
            f"({_why(rules, window, key, closed=True)}), so it can no longer be returned for a "
            f"refund — {instead}.",
            rule_ids=rule_ids + extra,
            deadline=window.deadline,
        )

    fee, fee_rule, fee_clause = restocking_fee(rules, reason=reason, condition=condition)
    tail = f"; {fee_clause}" if fee_clause else ""
    if not tail and condition is None and category and category.original_condition_only:
        tail = (
            "; it needs to be unused and in its original packaging"
            f"{_because(category.original_condition_because)}"
        )
    return _verdict(
        rules,
        eligible=True,
        text=f"{capitalise(subject)} can be returned until {format_day(window.deadline)} — "
        f"{_why(rules, window, key, closed=False)}{tail}.",
        rule_ids=[*rule_ids, fee_rule],
        deadline=window.deadline,
        fee_percent=fee,
    )
