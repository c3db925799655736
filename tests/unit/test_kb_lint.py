"""Policy consistency of articles (bot.kb_editor.lint): figures, rules, article conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from bot.kb_editor.lint import LintArticle, LintFinding, lint_articles
from bot.kb_editor.lint_text import sentences
from bot.policy import PolicyRules, parse_policy

POLICY: dict[str, Any] = {
    "return_window_days": 30,
    "categories": {
        "small_appliances": {"label": "small appliances", "warranty_months": 24},
        "knives": {"warranty_months": 120, "original_condition_only": True},
        "bedding": {"window_days": 60},
        "personalised": {"label": "personalised items", "returnable": False},
    },
    "restocking_fee": {"max_percent": 20},
    "refund": {"business_days_after_return": 2},
    "returnless_refund": {"enabled": True, "max_item_price": 20},
}
RULES = parse_policy(POLICY)


def _lint(*bodies: str, rules: PolicyRules = RULES) -> list[LintFinding]:
    articles = [LintArticle(f"a{n}", f"Article {n}", body) for n, body in enumerate(bodies, 1)]
    return lint_articles(articles, rules)


def _found(body: str, rules: PolicyRules = RULES) -> list[tuple[str, str, str]]:
    return [(f.found, f.rule, f.expected) for f in _lint(body, rules=rules)]


def test_a_contradiction_names_article_sentence_figure_and_rule() -> None:
    body = "## Warranty\n\nOur knives are made to last. Knives have a 1-year warranty.\n"
    [finding] = _lint(body)
    assert finding == LintFinding(
        article_id="a1", sentence="Knives have a 1-year warranty.", found="1 year",
        rule="categories.knives.warranty_months", expected="120 months",
    )
    assert finding.line() == ('a1: "Knives have a 1-year warranty." says 1 year; '
                              "policy categories.knives.warranty_months says 120 months")
    assert finding.as_json() == {
        "article_id": "a1", "sentence": "Knives have a 1-year warranty.", "found": "1 year",
        "rule": "categories.knives.warranty_months", "expected": "120 months",
    }


def test_consistent_text_gives_nothing() -> None:
    body = """You can return most items within 30 days of delivery. Bedding can be returned
within 60 days of delivery, unused.

## Warranty
- Knives have a **10-year warranty**, and small appliances have a 24-month warranty.
- After 30 days, our warranty covers you: ten years on knives, 2 years on small appliances.

## Refunds
- We refund you within 2 business days of your return reaching us.
- A restocking fee of up to 20% applies when an item comes back used.
- Items bought between 1 November and 31 December can be returned until 31 January.
- Items under $20 that arrive damaged are refunded, and you can keep the item.
- Card refunds take 3 to 5 business days to appear on your statement.
"""
    assert _lint(body) == []


def test_the_category_rule_wins_over_the_default() -> None:
    assert _found("Bedding can be returned within 30 days of delivery.") == [
        ("30 days", "categories.bedding.window_days", "60 days")]
    # Knives have no window of their own: the default governs them.
    assert _found("Knives can be returned within 30 days of delivery.") == []
    assert _found("Knives can be returned within 60 days of delivery.") == [
        ("60 days", "return_window_days", "30 days")]
    assert _found("You can return most items within 2 weeks of delivery.") == [
        ("2 weeks", "return_window_days", "30 days")]


def test_each_category_of_a_list_is_checked_against_its_own_rule() -> None:
    body = "Knives, small appliances, bedding and all other items have a 1-year warranty."
    assert _found(body) == [
        ("1 year", "categories.knives.warranty_months", "120 months"),
        ("1 year", "categories.small_appliances.warranty_months", "24 months"),
    ]
    body = "Our warranty covers faults: 10 years on knives, 1 year on small appliances."
    assert _found(body) == [
        ("1 year", "categories.small_appliances.warranty_months", "24 months")]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("A restocking fee of up to 25% may apply.", [
        ("up to 25%", "restocking_fee.max_percent", "20%")]),
    ("Used items carry a 30% restocking fee.", [
        ("30%", "restocking_fee.max_percent", "20%")]),
    ("We send your refund within 5 business days of your return reaching us.", [
        ("5 business days", "refund.business_days_after_return", "2 business days")]),
    ("Items bought between 1 November and 24 December can be returned until 15 January.", [
        ("24 December", "holiday_window.purchased_until", "31 December"),
        ("15 January", "holiday_window.returnable_until", "31 January")]),
    ("Items under $30 that arrive damaged are refunded and you can keep the item.", [
        ("$30", "returnless_refund.max_item_price", "$20")]),
    ("Our 45-day return window gives you time to decide.", [
        ("45 days", "return_window_days", "30 days")]),
])
def test_every_concept_finds_its_contradiction(
    sentence: str, expected: list[tuple[str, str, str]]
) -> None:
    assert _found(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "We ship within 1 business day, or refund you in full.",  # shipping, not the refund
    "Card refunds usually show 3–5 business days after we send them.",  # a range, the bank's
    "Except for bedding, items can be returned within 30 days of delivery.",
    "We delete your personal data within 90 days after delivery.",  # not about returns
    "Get 25% off your next order after a return.",  # a discount, not a fee
    "Kettles have a 2-year warranty and knives a 1-year warranty.",  # whose figure is whose?
    "Personalised items cannot be returned after 30 days.",  # not returnable at all
    "My kettle stopped working after a year.",
    "Sharpen your knives once or twice a year; they last for 20 years.",
])
def test_figures_that_cannot_be_tied_to_one_rule_are_left_alone(sentence: str) -> None:
    assert _lint(sentence) == []


def test_durations_are_compared_in_the_rules_unit() -> None:
    assert _lint("Knives come with a ten-year guarantee. Small appliances: 2 years of cover "
                 "under our warranty. Small appliances have a warranty of 24 months.") == []
    assert _found("Knives have a warranty of 12 years.") == [
        ("12 years", "categories.knives.warranty_months", "120 months")]


def test_a_disabled_rule_contradicts_any_figure() -> None:
    rules = parse_policy({**POLICY, "holiday_window": {"enabled": False},
                          "returnless_refund": {"enabled": False}})
    assert _found("Items bought between 1 November and 31 December can be returned until "
                  "31 January.", rules) == [
        ("1 November", "holiday_window.enabled", "false"),
        ("31 December", "holiday_window.enabled", "false"),
        ("31 January", "holiday_window.enabled", "false"),
    ]
    assert _found("Keep the item when it costs under $20 and arrived broken.", rules) == [
        ("$20", "returnless_refund.enabled", "false")]


def test_articles_that_disagree_where_no_rule_governs_are_reported() -> None:
    findings = _lint(
        "Bedding has a 1-year warranty.",
        "Sheets, pillows and other bedding have a 2-year warranty.",
        "All bedding comes with a 1-year warranty against faults.",
    )
    assert findings == [LintFinding(
        article_id="a2", sentence="Sheets, pillows and other bedding have a 2-year warranty.",
        found="2 years", rule="article:a1", expected="1 year",
    )]
    assert findings[0].other_article == "a1"
    assert findings[0].line().endswith("says 2 years; article a1 says 1 year")
    # One article saying two things is not a conflict between articles.
    assert _lint("Bedding has a 1-year warranty. Bedding has a 2-year warranty.") == []


def test_sentences_come_from_markdown_blocks_without_markup() -> None:
    body = ("First line of a paragraph\nwrapped onto two lines. Second sentence!\n\n"
            "## A heading\n- A **bold** item with a [link](https://example.com).\n"
            "  Its continuation.\n1. A numbered step.\n\n> Quoted text.\n")
    assert sentences(body) == [
        "First line of a paragraph wrapped onto two lines.", "Second sentence!",
        "A heading", "A bold item with a link.", "Its continuation.", "A numbered step.",
        "Quoted text.",
    ]


def test_only_a_buyers_deadline_is_read_as_the_holiday_return_date() -> None:
    assert _found("Holiday gifts are returnable until 15 January.") == [
        ("15 January", "holiday_window.returnable_until", "31 January")]
    assert _found("You can start your return any time up to January 15th.") == [
        ("15 January", "holiday_window.returnable_until", "31 January")]
    assert _lint("Returns are processed by 5 January after the holidays.") == []
