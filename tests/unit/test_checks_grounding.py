"""Grounding: figures in a reply must come from cited chunks, verdicts, order facts or the
buyer's own words, whatever way they are written."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.checks import CheckContext, run_checks
from bot.checks.figures import extract_figures, known_facts
from bot.facts import PolicyVerdict

CHECK = "grounding.figures_supported"
BUYER = "Hi, my kettle arrived damaged. Order 112-3456789-1234567. I bought 2 of them."
CHUNK = (
    "You can return most items within thirty days of delivery. We refund you within two "
    "business days of receiving the return. Items bought between 1 November and 31 December "
    "can be returned until 31 January. Return shipping costs $4.99 unless the item is faulty."
)
ORDER = (
    "Order 112-3456789-1234567, status Shipped, shipped 2026-11-10, delivered 2026-11-12, "
    "carrier UPS, tracking 1Z999AA10123456784, item Brightwater kettle 1.7 l, price 39.99."
)


def compose(answer: str) -> str:
    return (
        "Hi Maria,\n\nI'm sorry your kettle arrived damaged — thank you for telling us.\n\n"
        f"{answer}\n\nYou can start the return from Your Orders; reply to this message if "
        "anything is unclear.\n\nBest wishes,\nThe Brightwater Home team"
    )


BASE = CheckContext(buyer_texts=(BUYER,), cited_texts=(CHUNK,), order_facts_text=ORDER)


def grounding(text: str, **context: Any) -> tuple[bool, str]:
    results = run_checks(text, replace(BASE, **context))
    result = next(r for r in results if r.id == CHECK)
    assert result.severity == "block"
    return result.passed, result.message


@pytest.mark.parametrize(
    "answer",
    [
        "You can return it within 30 days of delivery.",  # "thirty days" in the chunk
        "You can return it within thirty days of delivery.",
        "You have a 30-day window to send it back.",
        "We refund you within 2 business days of receiving it.",  # "two business days"
        "We refund you within two working days of receiving it.",
        "Return shipping is 4.99 dollars unless it is faulty.",  # "$4.99"
        "Return shipping costs $4.99, which we cover as it is faulty.",
        "Anything bought from November 1 can come back until January 31.",
        "It can come back until 31 Jan 2027.",  # chunk gives the day without a year
        "It was delivered on 12 November 2026.",  # order facts: 2026-11-12
        "It was delivered on November 12, 2026.",
        "It was delivered on 11/12/2026.",
        "It was delivered on 2026-11-12.",
        "Your order 112-3456789-1234567 shipped with tracking 1Z999AA10123456784.",
        "I see you bought 2 of them.",  # the buyer's own quantity
        "The 1.7 l kettle costs 39.99 new.",  # order facts
    ],
)
def test_supported_figures_pass(answer: str) -> None:
    passed, message = grounding(compose(answer))
    assert passed, message


@pytest.mark.parametrize(
    ("answer", "reported"),
    [
        ("You can return it within 60 days of delivery.", "60 days"),
        ("You can return it within sixty days of delivery.", "sixty days"),
        ("We refund you within 5 business days.", "5 business days"),
        ("We refund you within 2 weeks.", "2 weeks"),  # 2 appears, but not as weeks
        ("Return shipping costs $5.99.", "$5.99"),
        ("We'll add $10 for the trouble.", "$10"),  # "10" only appears inside a date
        ("We'll add a 10% goodwill credit.", "10%"),
        ("It can come back until 15 February.", "15 February"),
        ("It was delivered on 2026-11-14.", "2026-11-14"),
        ("It can come back until 31 January 2026 at the latest.", None),
        ("Our warehouse handles 500 parcels a day.", "500"),
    ],
)
def test_unsupported_figures_are_blocked(answer: str, reported: str | None) -> None:
    passed, message = grounding(
        compose(answer), cited_texts=(CHUNK.replace("31 January", "31 January 2027"),)
    )
    assert not passed
    if reported:
        assert reported in message


def test_a_duration_is_grounded_by_the_verdict_text() -> None:
    verdict = PolicyVerdict(
        kind="return", eligible=True, text="Return window: 45 days from delivery (holiday)."
    )
    text = compose("You have 45 days from delivery to return it.")
    assert not grounding(text, cited_texts=())[0]
    assert grounding(text, cited_texts=(), verdicts=(verdict,))[0]


def test_a_deadline_is_grounded_by_the_verdict_date_in_any_format() -> None:
    verdict = PolicyVerdict(
        kind="return", eligible=True, deadline=date(2026, 12, 12), text="Return window open."
    )
    for written in ("12 December 2026", "December 12th, 2026", "2026-12-12", "12 December"):
        text = compose(f"You can send it back until {written}.")
        assert grounding(text, cited_texts=(), verdicts=(verdict,))[0], written


def test_refund_timing_and_fee_percent_of_a_verdict_ground_figures() -> None:
    verdict = PolicyVerdict(
        kind="restocking_fee",
        eligible=True,
        fee_percent=15.0,
        text="A restocking fee applies to opened items.",
        refund_timing_text="within 3 business days of receipt",
    )
    text = compose("A 15% restocking fee applies, and we refund you within 3 business days.")
    assert grounding(text, cited_texts=(), verdicts=(verdict,))[0]


def test_hand_off_response_time_is_not_a_policy_figure() -> None:
    text = (
        "Hi there,\n\nThank you for your message about your refund. I want to make sure you "
        "get the right answer, so I've passed it to a member of our team, who will reply "
        "within 24 hours.\n\nBest wishes,\nThe Brightwater Home team"
    )
    assert grounding(text, cited_texts=(), handoff=True)[0]
    # The same promise in an answer draft must be grounded like any other figure.
    assert not grounding(text, cited_texts=(), handoff=False)[0]


def test_hand_off_still_may_not_invent_policy_figures() -> None:
    text = (
        "Hi there,\n\nThank you for your message. A colleague will reply within 24 hours; "
        "refunds usually take 10 days.\n\nBest wishes,\nThe Brightwater Home team"
    )
    passed, message = grounding(text, cited_texts=(), handoff=True)
    assert not passed
    assert "10 days" in message


def test_numbered_steps_are_not_figures() -> None:
    text = compose("1. Open Your Orders.\n2. Choose the kettle.\n3. Print the label.")
    assert grounding(text, cited_texts=())[0]


def test_figures_in_the_greeting_and_sign_off_are_ignored() -> None:
    text = (
        "Hi Maria,\n\nThank you for telling us. You can start the return from Your Orders.\n\n"
        "Best wishes,\nSam, Brightwater Home (since 1998)"
    )
    assert grounding(text, cited_texts=())[0]


def test_figures_are_normalised() -> None:
    spelled = extract_figures("within thirty days, two business days, twenty-one hours")
    digits = extract_figures("within 30 days, 2 business days, 21 hours")
    assert sorted(f.keys for f in spelled) == sorted(f.keys for f in digits)
    assert len(digits) == 3
    money = extract_figures("a refund of $12.50")[0]
    assert money.kind == "money"
    assert set(money.keys) <= known_facts(["refund amount: 12.50"])
    assert set(extract_figures("by 12 December 2026")[0].keys) & known_facts(["2026-12-12"])


def test_the_month_may_is_told_apart_from_the_verb() -> None:
    assert [f.kind for f in extract_figures("Return it by May 5.")] == ["date"]
    assert [f.kind for f in extract_figures("you may 2 items")] == ["number"]
