"""Cancellation follows the order's status: before shipping it can be canceled for free;
after, the buyer is told how to return instead. Changes to an order follow the same line."""

from __future__ import annotations

from datetime import date, datetime

from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict
from bot.orders.status import OrderStatus
from bot.policy.dates import format_day, local_day
from bot.policy.returns import (
    category_key,
    evaluate_return,
    order_status,
    return_window,
    shipment_state,
)
from bot.policy.rules import PolicyRules
from bot.policy.wording import capitalise, item_name, join_names, your_item


def _cancel(eligible: bool, text: str, rule_ids: list[str]) -> PolicyVerdict:
    return PolicyVerdict(kind="cancel", eligible=eligible, text=text, rule_ids=rule_ids)


def _return_instead(
    rules: PolicyRules, order: OrderFacts, today: date | datetime | None
) -> str | None:
    """How long the order can be returned instead of canceled: ``until <day>``, ``within N
    days of delivery``, ``""`` once every window has closed, None when nothing in it can be
    returned (e.g. only personalised items)."""
    lines: list[OrderItemFacts | None] = list(order.items) or [None]
    items = [
        item
        for item in lines
        if (rule := rules.category(category_key(item))) is None or rule.returnable
    ]
    if not items:
        return None
    windows = [return_window(rules, order=order, item=item) for item in items]
    deadlines = [w.deadline for w in windows if w.deadline is not None]
    if len(deadlines) != len(windows):
        return f"within {windows[0].days} days of delivery"
    last = max(deadlines)
    if today is not None and local_day(rules, today) > last:
        return ""
    return f"until {format_day(last)}"


def evaluate_cancellation(
    rules: PolicyRules, *, order: OrderFacts, today: date | datetime | None = None
) -> PolicyVerdict:
    """Can ``order`` still be canceled? Pending/unshipped → yes, free of charge; partially
    shipped → the items not shipped yet; shipped or delivered → no, return it instead (with
    the return deadline; give ``today`` to leave out a deadline that has already passed)."""
    order_id = order.order_id
    state = shipment_state(order, None)
    if state == "canceled":
        return _cancel(
            False,
            f"Order {order_id} is already canceled, so there is nothing more to do.",
            ["cancel.already_canceled"],
        )
    if state == "unfulfillable":
        return _cancel(
            False,
            f"Order {order_id} could not be fulfilled, so it will not ship and "
            "there is nothing to cancel.",
            ["cancel.unfulfillable"],
        )
    if state == "not_shipped":
        return _cancel(
            True,
            f"Order {order_id} hasn't shipped yet, so it can still be canceled, free of charge.",
            ["cancel.not_shipped", "cancel.no_fee"],
        )
    status = order_status(order)
    if status is OrderStatus.PARTIALLY_SHIPPED:
        sent = [item_name(i) for i in order.items if getattr(i, "quantity_shipped", None)]
        waiting = [item_name(i) for i in order.items if getattr(i, "quantity_shipped", None) == 0]
        if sent and waiting:
            text = (
                f"Part of order {order_id} has already shipped ({join_names(sent)}), so only "
                f"what hasn't shipped yet ({join_names(waiting)}) can still be canceled, free of "
                "charge; the rest can be returned once it arrives."
            )
        else:
            text = (
                f"Part of order {order_id} has already shipped, so only the items that haven't "
                "shipped yet can still be canceled, free of charge; the rest can be returned "
                "once it arrives."
            )
        return _cancel(True, text, ["cancel.partially_shipped", "cancel.no_fee"])
    until = _return_instead(rules, order, today)
    if status is OrderStatus.DELIVERED or order.delivered_at is not None:
        text = f"Order {order_id} has already been delivered, so it can't be canceled"
        if until == "":
            text += ", and its return window has closed"
        elif until is not None:
            text += f" — but it can be returned instead {until}"
    else:
        text = f"Order {order_id} has already shipped, so it can't be canceled any more"
        if until:
            text += f" — but once it arrives you can return it {until}"
    return _cancel(False, f"{text}.", ["cancel.already_shipped"])


def evaluate_change(
    rules: PolicyRules,
    *,
    order: OrderFacts,
    item: OrderItemFacts | None,
    reason: str | None,
    today: date | datetime,
) -> PolicyVerdict:
    """Can the order be changed (another size, colour, item)? Marketplace orders cannot be
    edited: before shipping, cancel and re-order; after, return within the window."""
    state = shipment_state(order, item)
    if state == "canceled":
        return PolicyVerdict(
            kind="exchange",
            eligible=False,
            rule_ids=["exchange.order_canceled"],
            text=f"Order {order.order_id} was canceled, so there is nothing left to change.",
        )
    if state == "unfulfillable":
        return PolicyVerdict(
            kind="exchange",
            eligible=False,
            rule_ids=["exchange.order_unfulfillable"],
            text=f"Order {order.order_id} could not be fulfilled and will not ship, so there is "
            "nothing to change; a new order can be placed for what you'd like instead.",
        )
    if state in ("not_shipped", "item_not_shipped"):
        what = (
            f"Order {order.order_id} hasn't shipped yet, so the way to change it is to cancel it"
            if state == "not_shipped"
            else f"{capitalise(your_item(item, order.order_id))} hasn't shipped yet, so the way "
            "to change it is to cancel that part of the order"
        )
        return PolicyVerdict(
            kind="exchange",
            eligible=True,
            rule_ids=["exchange.cancel_and_reorder", "cancel.no_fee"],
            text=f"{what}, free of charge, and place a new order for what you'd like instead.",
        )
    returned = evaluate_return(rules, order=order, item=item, reason=reason, today=today)
    if not returned.eligible or returned.deadline is None:
        return returned.model_copy(
            update={"kind": "exchange", "rule_ids": [*returned.rule_ids, "exchange.via_return"]}
        )
    return PolicyVerdict(
        kind="exchange",
        eligible=True,
        deadline=returned.deadline,
        fee_percent=returned.fee_percent,
        rule_ids=[*returned.rule_ids, "exchange.via_return"],
        text=f"{capitalise(your_item(item, order.order_id))} has already shipped, so the order "
        f"can't be changed — to swap it, return it by {format_day(returned.deadline)} and place "
        "a new order for the one you'd like.",
        refund_method=returned.refund_method,
        refund_timing_text=returned.refund_timing_text,
    )
