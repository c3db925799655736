"""What ``draftdesk kb lint`` looks for: the table of policy concepts and their rules.

Each :class:`Concept` says which sentences talk about it, the phrasings that state its
figure, and which rule of :class:`~bot.policy.PolicyRules` governs the figure (the named
category's, else the default). Add a phrasing here when the linter misses one; keep each
pattern tight, as a false alarm costs more than a miss.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bot.kb_editor.lint_text import (
    NUMBER,
    Figure,
    date_figure,
    date_pattern,
    duration_figure,
    money_figure,
    percent_figure,
)
from bot.policy import PolicyRules
from bot.policy.dates import format_month_day


@dataclass(frozen=True)
class Expectation:
    """What the governing rule says, and whether a figure agrees with it."""

    rule: str
    shown: str
    accepts: Callable[[Figure], bool]


_Expect = Callable[[PolicyRules, str | None, Figure, str], Expectation | None]


@dataclass(frozen=True)
class Concept:
    """A kind of policy figure: the sentences that talk about it (``about``), the phrasings
    that state it (``figures``, matched inside one clause; ``unless`` rules a clause out),
    how a match reads as a figure, and the rule it is compared with."""

    name: str
    about: re.Pattern[str]
    figures: tuple[re.Pattern[str], ...]
    read: Callable[[re.Match[str]], Figure | None]
    expect: _Expect
    by_category: bool = False
    unless: re.Pattern[str] | None = None
    about_clause: bool = False  # ``about`` must match the figure's clause, not just the sentence


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def _never(rule: str) -> Expectation:
    return Expectation(rule, "false", lambda figure: False)


# --- what the policy says, per concept ----------------------------------------------------


def _warranty(rules: PolicyRules, category: str | None, figure: Figure, clause: str
              ) -> Expectation | None:
    rule = rules.category(category)
    if rule is None or not rule.warranty_months:
        return None  # the policy has no default warranty: nothing to compare with
    months = rule.warranty_months
    return Expectation(f"categories.{category}.warranty_months", f"{months} months",
                       lambda f: f.in_months() == months)


def _return_window(rules: PolicyRules, category: str | None, figure: Figure, clause: str
                   ) -> Expectation | None:
    rule = rules.category(category)
    if rule is not None and not rule.returnable:
        return None  # "personalised items can't be returned after 30 days" is no window
    if rule is not None and rule.window_days:
        days, name = rule.window_days, f"categories.{category}.window_days"
    else:
        days, name = rules.return_window_days, "return_window_days"
    return Expectation(name, f"{days} days", lambda f: f.spans_days(days))


def _refund_days(rules: PolicyRules, category: str | None, figure: Figure, clause: str
                 ) -> Expectation:
    days = rules.refund.business_days_after_return
    shown = f"{days} business day{'' if days == 1 else 's'}"
    return Expectation("refund.business_days_after_return", shown,
                       lambda f: f.amount == days)


def _restocking_fee(rules: PolicyRules, category: str | None, figure: Figure, clause: str
                    ) -> Expectation | None:
    """"Up to N%" states the maximum (or the fee of a condition the clause names); a bare
    "N%" may be any condition's fee, so it is only judged when it is above the maximum."""
    top = Decimal(str(rules.restocking_fee.max_percent))
    named = {Decimal(str(c.restocking_fee_percent)) for key, c in rules.conditions.items()
             if re.search(rf"\b{key.replace('_', ' ')}\b", clause, re.IGNORECASE)}
    shown = f"{rules.restocking_fee.max_percent:g}%"
    maximum = Expectation("restocking_fee.max_percent", shown,
                          lambda f: f.amount == top or f.amount in named)
    if figure.qualifier == "up to":
        return maximum
    fees = {Decimal(str(c.restocking_fee_percent)) for c in rules.conditions.values()}
    return maximum if figure.amount > top and figure.amount not in fees else None


def _holiday(part: str) -> _Expect:
    def expect(rules: PolicyRules, category: str | None, figure: Figure, clause: str
               ) -> Expectation:
        window = rules.holiday_window
        if not window.enabled:
            return _never("holiday_window.enabled")
        month_day: str = getattr(window, part)
        return Expectation(f"holiday_window.{part}", format_month_day(month_day),
                           lambda f: f.month_day == month_day)
    return expect


def _returnless_price(rules: PolicyRules, category: str | None, figure: Figure, clause: str
                      ) -> Expectation:
    policy = rules.returnless_refund
    if not policy.enabled:
        return _never("returnless_refund.enabled")
    price = policy.max_item_price
    return Expectation("returnless_refund.max_item_price", Figure.money(price).text,
                       lambda f: f.amount == price)


# --- the concepts --------------------------------------------------------------------------

_YEARS = rf"{NUMBER}[- ](?P<unit>year|month)s?"
_DAYS = rf"{NUMBER}[- ](?P<unit>day|week|month)s?"
_PURCHASE_SPAN = (rf"\b(?:between|from) {date_pattern('a')} (?:and|to|until|through|till|-|–) "
                  rf"{date_pattern('b')}")
_PURCHASED = r"^(?=.*\breturn)(?=.*\b(?:bought|buy|purchased?|placed|ordered|orders?)\b)"

CONCEPTS: tuple[Concept, ...] = (
    Concept(
        name="warranty",
        about=_pattern(r"\b(?:warrant|guarantee|quality promise)"),
        figures=(
            # "a 2-year warranty", "our 1-year limited warranty", "a 1-year quality promise"
            _pattern(rf"\b{_YEARS}[- ](?:(?:limited|full|quality|product)[- ])?"
                     r"(?:warranty|guarantee|promise)"),
            # "...our warranty covers you: 2 years on kettles"
            _pattern(rf"\b{_YEARS} on\b"),
            # "a warranty of 2 years", "covered for 10 years", "warranty for 12 months"
            _pattern(r"\b(?:warranty|guarantee|covered|warranted|guaranteed)(?: \w+){0,3}? "
                     rf"(?:of|for|lasts?|is) {_YEARS}\b"),
            # "two years of cover"
            _pattern(rf"\b{_YEARS} of (?:cover|coverage|warranty|guarantee)\b"),
        ),
        read=duration_figure,
        expect=_warranty,
        by_category=True,
    ),
    Concept(
        name="return window",
        about=_pattern(r"\breturn"),
        figures=(
            # "within 30 days of delivery", "60 days from delivery"
            _pattern(rf"\b{_DAYS} (?:of|from|after) (?:the )?delivery\b"),
            # "a 30-day return window", "our 45-day returns"
            _pattern(rf"\b{_DAYS}[- ](?:free )?(?:return|returns)\b"),
            # "can be returned within 60 days", "returnable within 45 days"
            _pattern(rf"\b(?:(?:can|may) (?:be )?return(?:ed)?\b[^,;:]*?|returnable) "
                     rf"within {_DAYS}\b"),
            # "you have 30 days to return"
            _pattern(rf"\b(?:have|get|gives? you) {_DAYS} to (?:return|send)"),
            # "the return window is 30 days"
            _pattern(rf"\breturn (?:window|period) (?:is|of) {_DAYS}\b"),
        ),
        read=duration_figure,
        expect=_return_window,
        by_category=True,
    ),
    Concept(
        name="refund timing",
        about=_pattern(r"\brefund"),
        figures=(
            _pattern(rf"\bwithin {NUMBER} (?P<unit>business|working) days?\b"),
            _pattern(rf"\b{NUMBER} (?P<unit>business|working) days? (?:of|after)\b"),
        ),
        read=duration_figure,
        expect=_refund_days,
        about_clause=True,  # "we ship within 1 business day, or refund you" is about shipping
        # A bank's or a shipment's business days are not our refund's.
        unless=_pattern(r"\b(?:bank|card (?:provider|issuer|company)|ship\w*|dispatch\w*)\b"),
    ),
    Concept(
        name="restocking fee",
        about=_pattern(r"\brestocking\b|\bfees?\b.*\b(?:comes? back|returns?|returned|"
                       r"item price)\b|\b(?:comes? back|returns?|returned)\b.*\bfees?\b"),
        figures=(_pattern(r"(?:\b(?P<upto>up to|at most|a maximum of|no more than) )?"
                          r"(?P<n>\d+(?:\.\d+)?) ?(?:%|percent\b)"),),
        read=percent_figure,
        expect=_restocking_fee,
        unless=_pattern(r"\b(?:off|discount|coupon|promotion)\b"),
    ),
    Concept(
        name="holiday purchases from",
        about=_pattern(_PURCHASED),
        figures=(_pattern(_PURCHASE_SPAN),),
        read=date_figure("a"),
        expect=_holiday("purchased_from"),
    ),
    Concept(
        name="holiday purchases until",
        about=_pattern(_PURCHASED),
        figures=(_pattern(_PURCHASE_SPAN),),
        read=date_figure("b"),
        expect=_holiday("purchased_until"),
    ),
    Concept(
        name="holiday returns until",
        about=_pattern(r"\breturn"),
        # "can be returned until 31 January", "start the return any time up to 31 January"
        # (not "returns are processed by 5 January": that is no deadline of the buyer's)
        figures=(_pattern(r"\b(?:(?:can|may) (?:still )?(?:be )?returned|returnable|"
                          r"(?:start|make|request|open) (?:a|the|your) returns?|"
                          r"return (?:it|them|the item|items|gifts?))\b"
                          r"(?:(?!\b(?:between|from)\b)[^,;:])*?"
                          rf"\b(?:until|by|up to|through|till) {date_pattern('c')}"),),
        read=date_figure("c"),
        expect=_holiday("returnable_until"),
    ),
    Concept(
        name="returnless refund price",
        about=_pattern(r"\b(?:keep (?:the|your|it)\b|without (?:sending|returning|a return)|"
                       r"no need to (?:send|return)|(?:don't|do not|won't|will not) need "
                       r"(?:it|the item|them) back|returnless)"),
        figures=(_pattern(r"\b(?:under|below|less than|up to|at most|no more than|costing|"
                          r"priced at) (?:US ?)?\$ ?(?P<n>\d+(?:\.\d{1,2})?)"),
                 _pattern(r"\$ ?(?P<n>\d+(?:\.\d{1,2})?) or (?:less|under|below)\b")),
        read=money_figure,
        expect=_returnless_price,
    ),
)
