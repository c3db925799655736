"""Small helpers that turn facts into plain words for verdict sentences, in English and,
from per-language templates, in the buyer's language."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict
from bot.policy.dates import add_months


def item_name(item: OrderItemFacts | None) -> str:
    """A short name for an order line: ``Stainless steel electric kettle, 1.7 L`` →
    ``stainless steel electric kettle`` (sentence-case titles lose their capital, Title Case
    ones such as brand names keep it)."""
    if item is None:
        return "order"
    name = re.split(r",| \(| - | – | \| ", item.title, maxsplit=1)[0].strip() or item.title
    words = name.split()
    first_is_plain = bool(re.fullmatch(r"[A-Z][a-z']+", words[0])) if words else False
    rest_lower = len(words) == 1 or words[1][:1].islower()
    if first_is_plain and rest_lower:
        name = name[0].lower() + name[1:]
    return name


def your_item(item: OrderItemFacts | None, order_id: str) -> str:
    """``your kettle from order 112-…`` (or ``order 112-…`` when no item is in question)."""
    if item is None:
        return f"order {order_id}"
    return f"your {item_name(item)} from order {order_id}"


def capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def duration(months: int) -> str:
    """``24`` → ``2-year``, ``18`` → ``18-month`` (as in "our 2-year warranty")."""
    if months % 12 == 0:
        return f"{months // 12}-year"
    return f"{months}-month"


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# Verdict sentences in the buyer's language (issue 13). The engine decides in code and
# writes its English sentence; for another language the same decision is worded again
# from the verdict's kind, rule ids and dates with per-language templates
# (verdicts_<lang>.yaml) — never by machine translation. English keeps ``verdict.text``.
_WORDING_DIR = Path(__file__).resolve().parent / "templates"
_DAYS = re.compile(r"^return\.window\.(\d+)d$")
_BUSINESS_DAYS = re.compile(r"^refund\.timing\.(\d+)bd$")
_WARRANTY = re.compile(r"^warranty\.[\w-]+\.(\d+)m$")


@lru_cache(maxsize=8)
def verdict_wording(language: str) -> dict[str, str] | None:
    """The verdict templates for ``language``, or None when there are none (English)."""
    path = _WORDING_DIR / f"verdicts_{language}.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


def format_day_for(day: date, language: str) -> str:
    """A date as the buyer's locale writes it: ``4. Dezember 2026``, ``2026年12月4日``."""
    if language == "en":
        return f"{day.day} {day:%B} {day.year}"
    from babel.dates import format_date

    return str(format_date(day, format="long", locale=language))


def verdict_text(verdict: PolicyVerdict, *, language: str, order: OrderFacts | None) -> str:
    """``verdict`` worded in ``language`` (the engine's own sentence for English)."""
    wording = verdict_wording(language)
    if wording is None or order is None:
        return verdict.text
    rules = set(verdict.rule_ids)
    values: dict[str, str] = {
        "order_id": order.order_id,
        "fee": f"{verdict.fee_percent:g}",
        "date": format_day_for(verdict.deadline, language) if verdict.deadline else "",
        "days": next((m.group(1) for r in rules if (m := _DAYS.match(r))), "30"),
        "business_days": next((m.group(1) for r in rules if (m := _BUSINESS_DAYS.match(r))), "2"),
    }
    key = _verdict_key(verdict, rules)
    text = wording[key].format(**values)
    if key in {"return_closed", "return_excluded"}:
        # The engine names the warranty among the rules only while it still runs.
        until = _warranty_until(rules, order)
        text += " " + (
            wording["alt_warranty"].format(date=format_day_for(until, language))
            if until is not None else wording["alt_person"]
        )
    if verdict.eligible and verdict.fee_percent and key in {"return_until", "refund_after"}:
        text += " " + wording["fee"].format(**values)
    if key == "refund_after" and verdict.deadline is not None:
        text += " " + wording["send_by"].format(**values)
    return text


def _verdict_key(verdict: PolicyVerdict, rules: set[str]) -> str:
    if verdict.handled_by == "marketplace":
        return "marketplace"
    kind = verdict.kind
    if kind == "warranty":
        return "warranty_covered" if verdict.eligible else "warranty_ended"
    if kind == "cancel":
        for rule, key in (
            ("cancel.already_canceled", "cancel_canceled"),
            ("cancel.unfulfillable", "cancel_unfulfillable"),
            ("cancel.partially_shipped", "cancel_partial"),
            ("cancel.not_shipped", "cancel_free"),
        ):
            if rule in rules:
                return key
        return "cancel_shipped"
    if kind == "exchange":
        for rule, key in (
            ("exchange.order_canceled", "exchange_canceled"),
            ("exchange.order_unfulfillable", "exchange_unfulfillable"),
            ("exchange.cancel_and_reorder", "exchange_reorder"),
        ):
            if rule in rules:
                return key
        if verdict.eligible:
            return "exchange_via_return"
    if kind == "refund":
        for rule, key in (
            ("refund.order_canceled", "refund_canceled"),
            ("refund.order_unfulfillable", "refund_unfulfillable"),
            ("refund.cancel_first", "refund_cancel_first"),
            ("refund.returnless", "refund_returnless"),
        ):
            if rule in rules:
                return key
        if verdict.eligible:
            return "refund_after"
    # A return verdict (or a refund/exchange refused because the return is).
    for rule, key in (
        ("return.order_canceled", "return_canceled"),
        ("return.order_unfulfillable", "return_unfulfillable"),
        ("return.item_not_shipped", "return_not_shipped"),
        ("return.not_shipped", "return_not_shipped"),
        ("return.awaiting_delivery", "return_awaiting"),
        ("return.no_delivery_date", "return_no_date"),
    ):
        if rule in rules:
            return key
    excluded = "return.seller_fault_override" not in rules and any(
        r.startswith("return.condition.")
        or r.endswith((".non_returnable", ".original_condition_only"))
        for r in rules
    )
    if not verdict.eligible:
        return "return_excluded" if excluded else "return_closed"
    # Bought in the holiday season: the deadline is the holiday window's, not N days.
    return "return_until_holiday" if "return.holiday" in rules else "return_until"


def _warranty_until(rules: set[str], order: OrderFacts) -> date | None:
    months = next((int(m.group(1)) for r in rules if (m := _WARRANTY.match(r))), None)
    start = order.delivered_at or order.estimated_delivery or order.purchase_date
    if months is None or start is None:
        return None
    return add_months(start, months)
