"""Refunds and exchanges follow from the return verdict: no refund outside the policy."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict
from bot.policy.dates import add_business_days, format_day, local_day
from bot.policy.returns import category_key, evaluate_return, shipment_state
from bot.policy.rules import PolicyRules
from bot.policy.wording import capitalise, item_name, your_item

_PROBLEM = {
    "damaged": "arrived damaged",
    "defective": "is faulty",
    "wrong_item": "is not the item you ordered",
    "missing_parts": "arrived with parts missing",
    "not_as_described": "is not as described",
}


def _returnless(
    rules: PolicyRules, *, item: OrderItemFacts | None, reason: str | None, currency: str | None
) -> bool:
    policy = rules.returnless_refund
    limit = policy.limit_in(currency)
    return bool(
        policy.enabled
        and item is not None
        and item.price is not None
        and limit is not None
        and reason in policy.reasons
        and Decimal(str(item.price)) <= limit
        and category_key(item) not in policy.excluded_categories
    )


def evaluate_refund(
    rules: PolicyRules,
    *,
    order: OrderFacts,
    item: OrderItemFacts | None,
    reason: str | None,
    today: date | datetime,
    condition: str | None = None,
    return_received: date | None = None,
    on_its_way_back: bool = False,
) -> PolicyVerdict:
    """Can the buyer get a refund for ``item``, how and when?

    Not shipped yet → a full refund by canceling. Shipped → only through an eligible return
    (never outside the policy): returnless when the policy's thresholds allow, otherwise to
    the original payment method within the configured business days of the return arriving.
    ``deadline`` is the day the refund is due once ``return_received`` is known, else the
    last day to send the item back (none when the buyer says it is ``on_its_way_back``).
    """
    method, method_text = rules.refund.method, rules.refund.method_text
    days = rules.refund.business_days_after_return
    state = shipment_state(order, item)
    subject = your_item(item, order.order_id)

    def verdict(eligible: bool, text: str, rule_ids: list[str], **extra: object) -> PolicyVerdict:
        return PolicyVerdict.model_validate(
            {
                "kind": "refund",
                "eligible": eligible,
                "text": text,
                "rule_ids": rule_ids,
                "refund_method": method if eligible else None,
                **extra,
            }
        )

    if state == "canceled":
        return verdict(
            True,
            f"Order {order.order_id} was canceled, so any payment taken for it goes back to "
            f"{method_text}.",
            ["refund.order_canceled"],
        )
    if state == "unfulfillable":
        return verdict(
            True,
            f"Order {order.order_id} could not be fulfilled, so any payment taken for it goes "
            f"back to {method_text}.",
            ["refund.order_unfulfillable"],
        )
    if state in ("not_shipped", "item_not_shipped"):
        return verdict(
            True,
            f"{capitalise(subject)} hasn't shipped yet, so canceling it gives you a full refund "
            f"to {method_text}, with no fee.",
            ["refund.cancel_first", "cancel.no_fee"],
        )

    returned = evaluate_return(
        rules, order=order, item=item, reason=reason, today=today, condition=condition
    )
    if not returned.eligible:
        return verdict(
            False,
            returned.text,
            [*returned.rule_ids, "refund.requires_return"],
            deadline=returned.deadline,
        )
    if return_received is None and _returnless(
        rules, item=item, reason=reason, currency=order.currency
    ):
        assert reason is not None
        return verdict(
            True,
            f"Because {subject} {_PROBLEM.get(reason, 'has a problem')}, you don't need to send "
            f"it back: the refund goes to {method_text}.",
            [*returned.rule_ids, "refund.returnless"],
            refund_method="returnless",
        )
    fee = returned.fee_percent
    less_fee = f", less the {fee:g}% restocking fee" if fee else ""
    timing = f"within {days} business days after your return arrives"
    rule_ids = [*returned.rule_ids, f"refund.{method}", f"refund.timing.{days}bd"]
    if return_received is not None:
        due = add_business_days(
            return_received, days, non_business_days=rules.refund.non_business_days
        )
        received_day = local_day(rules, return_received)
        return verdict(
            True,
            f"Your returned {item_name(item)} from order {order.order_id} arrived on "
            f"{format_day(received_day)}, so the refund to {method_text}{less_fee} is due by "
            f"{format_day(due)} — {days} business days later.",
            rule_ids,
            deadline=due,
            fee_percent=fee,
            refund_timing_text=timing,
        )
    # The buyer says it is already on its way back: no "please send it back by".
    deadline = None if on_its_way_back else returned.deadline
    send_by = f"; please send it back by {format_day(deadline)}" if deadline else ""
    return verdict(
        True,
        f"Once {subject} is back with us, the refund goes to {method_text}{less_fee} "
        f"{timing.replace('your return arrives', 'it arrives')}{send_by}.",
        rule_ids,
        deadline=deadline,
        fee_percent=fee,
        refund_timing_text=timing,
    )
