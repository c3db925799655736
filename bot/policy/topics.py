"""The verdicts a draft needs for a buyer's topic — the one entry point drafting calls."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict
from bot.policy.cancellation import evaluate_cancellation, evaluate_change
from bot.policy.dates import format_day, local_day
from bot.policy.refunds import evaluate_refund
from bot.policy.returns import evaluate_return, warranty_for
from bot.policy.rules import PolicyRules
from bot.policy.wording import capitalise, duration, your_item

RETURN_TOPICS = frozenset({"check_refund_policy", "return_item", "request_return", "return"})
REFUND_TOPICS = frozenset({"get_refund", "refund"})
REFUND_STATUS_TOPICS = frozenset({"track_refund"})
CANCEL_TOPICS = frozenset({"cancel_order", "check_cancellation_fee"})
CHANGE_TOPICS = frozenset({"change_order", "exchange_item", "exchange"})
WARRANTY_TOPICS = frozenset({"warranty", "product_fault"})
POLICY_TOPICS = (
    RETURN_TOPICS
    | REFUND_TOPICS
    | REFUND_STATUS_TOPICS
    | CANCEL_TOPICS
    | CHANGE_TOPICS
    | WARRANTY_TOPICS
)

# Words in product titles that say nothing about which product a buyer means.
_GENERIC_WORDS = frozenset(
    [
        "set",
        "sets",
        "pair",
        "pairs",
        "piece",
        "pieces",
        "pack",
        "with",
        "and",
        "the",
        "for",
        "from",
        "size",
        "double",
        "king",
        "queen",
        "single",
        "twin",
        "large",
        "small",
        "medium",
        "slot",
        "slots",
        "inch",
    ]
)


def _words(text: str) -> set[str]:
    words = {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3}
    return words | {w[:-1] for w in words if w.endswith("s") and len(w) > 3}


def items_in_question(order: OrderFacts, message: str | None) -> list[OrderItemFacts | None]:
    """The order lines the buyer is asking about: those whose title words appear in
    ``message`` ("the kettle"), else every line (else ``[None]`` for an order without lines)."""
    if not order.items:
        return [None]
    if message:
        said = _words(message)
        named = [item for item in order.items if (_words(item.title) - _GENERIC_WORDS) & said]
        if named:
            return list(named)
    return list(order.items)


def warranty_verdict(
    rules: PolicyRules, *, order: OrderFacts, item: OrderItemFacts | None, today: date | datetime
) -> PolicyVerdict | None:
    """The category warranty as a verdict, or None when the category has none."""
    warranty = warranty_for(rules, order=order, item=item)
    if warranty is None:
        return None
    subject = your_item(item, order.order_id)
    if local_day(rules, today) <= warranty.until:
        text = (
            f"{capitalise(subject)} is covered by our {duration(warranty.months)} warranty on "
            f"{warranty.label} until {format_day(warranty.until)}, so if it develops a fault we "
            "can repair or replace it."
        )
        return PolicyVerdict(
            kind="warranty",
            eligible=True,
            deadline=warranty.until,
            rule_ids=[warranty.rule_id],
            text=text,
        )
    return PolicyVerdict(
        kind="warranty",
        eligible=False,
        deadline=warranty.until,
        rule_ids=[warranty.rule_id],
        text=f"The {duration(warranty.months)} warranty on {subject} ended on "
        f"{format_day(warranty.until)}, but our team will gladly look at what else we can do.",
    )


# The buyer has already sent the item back (in the marketplace languages).
_ALREADY_SENT_BACK = re.compile(
    r"\b(i|we|i've|i have|we've|already|just)\s+(already\s+)?(sent|shipped|mailed|posted|"
    r"dropped off|returned)\b[^.?!]{0,30}?\b(back|it|them|the return|return|parcel|package)\b|"
    r"\b(sent|shipped|mailed|posted) (it |them )?back\b|"
    r"\b(zurückgeschickt|zurückgesendet|retourniert)\b|\b(j'ai|nous avons) (déjà )?"
    r"(renvoyé|retourné)|\b(he|hemos) (devuelto|enviado de vuelta)|\bho (già )?"
    r"(restituito|rispedito|reso)\b|返送しました|返品しました|送り返しました",
    re.I,
)


def verdicts_for_topic(
    rules: PolicyRules,
    *,
    topic: str | None,
    order: OrderFacts | None,
    reason: str | None,
    today: date | datetime,
    message: str | None = None,
    condition: str | None = None,
    return_received: date | None = None,
) -> list[PolicyVerdict]:
    """Every policy decision a draft on ``topic`` about ``order`` must state, best first.

    ``topic`` is a topic id (Bitext intent names: ``check_refund_policy``, ``get_refund``,
    ``track_refund``, ``cancel_order``, ``check_cancellation_fee``, ``change_order``, plus
    ``return_item``, ``exchange_item``, ``warranty``); other topics, or no order, give ``[]``
    (the knowledge base answers general policy questions). ``reason`` comes from
    :func:`~bot.policy.reasons.detect_return_reason`; ``message`` (the buyer's text) narrows a
    multi-item order to the items it names. ``today`` is a date or an aware datetime (taken in
    the policy's time zone). Pure: no I/O, same inputs → same verdicts.
    """
    if order is None or topic not in POLICY_TOPICS:
        return []
    if order.fulfillment_channel == "marketplace" and topic not in CANCEL_TOPICS | WARRANTY_TOPICS:
        return [_marketplace_fulfilled(order, topic)]
    items = items_in_question(order, message)
    verdicts: list[PolicyVerdict] = []

    def returns(with_refund: bool) -> None:
        for item in items:
            returned = evaluate_return(
                rules, order=order, item=item, reason=reason, today=today, condition=condition
            )
            verdicts.append(returned)
            if with_refund:
                refund = evaluate_refund(
                    rules,
                    order=order,
                    item=item,
                    reason=reason,
                    today=today,
                    condition=condition,
                    return_received=return_received,
                )
                if refund.text != returned.text:
                    verdicts.append(refund)
            if not returned.eligible:
                warranty = warranty_verdict(rules, order=order, item=item, today=today)
                if warranty is not None and warranty.eligible:
                    verdicts.append(warranty)

    sent_back = bool(message and _ALREADY_SENT_BACK.search(message))
    if topic in RETURN_TOPICS and not sent_back:
        returns(with_refund=False)
    elif topic in REFUND_TOPICS and not sent_back:
        returns(with_refund=True)
    elif topic in REFUND_STATUS_TOPICS | REFUND_TOPICS | RETURN_TOPICS:
        # "I sent it back on Monday, when do I get my money?": the return is done; only
        # the refund is left to explain (no return window, no "send it back by").
        for item in items:
            verdicts.append(
                evaluate_refund(
                    rules,
                    order=order,
                    item=item,
                    reason=reason,
                    today=today,
                    condition=condition,
                    return_received=return_received,
                    on_its_way_back=sent_back,
                )
            )
    elif topic in CANCEL_TOPICS:
        cancel = evaluate_cancellation(rules, order=order, today=today)
        verdicts.append(cancel)
        if not cancel.eligible and "cancel.already_shipped" in cancel.rule_ids:
            returns(with_refund=False)
    elif topic in CHANGE_TOPICS:
        for item in items:
            verdicts.append(
                evaluate_change(rules, order=order, item=item, reason=reason, today=today)
            )
    else:
        for item in items:
            warranty = warranty_verdict(rules, order=order, item=item, today=today)
            if warranty is not None:
                verdicts.append(warranty)
    return _unique(verdicts)


def _marketplace_fulfilled(order: OrderFacts, topic: str) -> PolicyVerdict:
    """Amazon fulfilled the order: Amazon runs its returns, refunds and exchanges."""
    kind: Literal["return", "refund", "exchange"] = (
        "refund" if topic in REFUND_TOPICS | REFUND_STATUS_TOPICS
        else "exchange" if topic in CHANGE_TOPICS else "return"
    )
    return PolicyVerdict(
        kind=kind,
        eligible=True,
        rule_ids=["fulfilment.marketplace"],
        handled_by="marketplace",
        text=(
            f"Order {order.order_id} was fulfilled by Amazon, so Amazon handles its returns "
            "and refunds: if it isn't on its way back yet, choose Return or replace items for "
            "it under Your Orders. Amazon sends the refund once the item is back with them, "
            "and the order in Your Orders shows where the return and refund stand."
        ),
    )


def _unique(verdicts: list[PolicyVerdict]) -> list[PolicyVerdict]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for verdict in verdicts:
        if (verdict.kind, verdict.text) not in seen:
            seen.add((verdict.kind, verdict.text))
            unique.append(verdict)
    return unique
