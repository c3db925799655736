"""Policy promises: a reply must not promise more than the policy engine's verdicts allow."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.checks import CheckContext, run_checks
from bot.facts import CheckResult, PolicyVerdict

RETURN_REFUSED = PolicyVerdict(
    kind="return",
    eligible=False,
    deadline=date(2026, 11, 30),
    rule_ids=["return.window_30_days"],
    text="Outside the 30-day return window, which closed on 2026-11-30.",
)
RETURN_OPEN = PolicyVerdict(
    kind="return",
    eligible=True,
    deadline=date(2026, 12, 12),
    rule_ids=["return.window_30_days"],
    text="Inside the 30-day return window until 2026-12-12.",
)
REFUND_REFUSED = PolicyVerdict(kind="refund", eligible=False, text="No refund: not returned.")
CANCEL_REFUSED = PolicyVerdict(kind="cancel", eligible=False, text="Already shipped.")
EXCHANGE_REFUSED = PolicyVerdict(kind="exchange", eligible=False, text="No exchanges.")
WARRANTY_REFUSED = PolicyVerdict(kind="warranty", eligible=False, text="Warranty expired.")
NO_FEE = PolicyVerdict(
    kind="restocking_fee",
    eligible=False,
    rule_ids=["restocking_fee.seller_fault"],
    text="No restocking fee: the item arrived damaged.",
)
FEE_15 = PolicyVerdict(
    kind="restocking_fee",
    eligible=True,
    fee_percent=15.0,
    text="A 15% restocking fee applies to opened items returned for a change of mind.",
)


def compose(answer: str) -> str:
    return (
        "Hi Maria,\n\nI'm sorry the kettle isn't what you hoped for — thank you for telling "
        f"us.\n\n{answer}\n\nReply to this message if anything is unclear.\n\n"
        "Best wishes,\nThe Brightwater Home team"
    )


def result(check_id: str, text: str, *verdicts: PolicyVerdict) -> CheckResult:
    context = CheckContext(
        buyer_texts=("Can I return the kettle? It's the wrong colour.",),
        verdicts=verdicts,
        order_facts_text="Order 112-3456789-1234567, delivered 2026-10-31.",
    )
    checked = next(r for r in run_checks(text, context) if r.id == check_id)
    assert checked.severity == "block"
    return checked


# --- promises against a refusal ------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "You can return it from Your Orders.",
        "You can still return it if you start today.",
        "Good news: it is eligible for a return.",
        "You're still eligible for a free return.",
        "We'll happily accept the return.",
        "You can send it back with the label in the box.",
        "Your order is still within the return window.",
    ],
)
def test_return_promises_against_a_refused_return_are_blocked(answer: str) -> None:
    checked = result("policy.no_overpromise", compose(answer), RETURN_REFUSED)
    assert not checked.passed
    assert "return" in checked.message


@pytest.mark.parametrize(
    "answer",
    [
        "We will refund you in full.",
        "We'll issue a full refund today.",
        "You'll receive a refund within a few days.",
        "Your refund will be on its way shortly.",
        "You are entitled to a full refund.",
    ],
)
def test_refund_promises_against_a_refused_refund_are_blocked(answer: str) -> None:
    assert not result("policy.no_overpromise", compose(answer), REFUND_REFUSED).passed


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("We will cancel the order straight away.", CANCEL_REFUSED),
        ("You can cancel it from Your Orders.", CANCEL_REFUSED),
        ("Your order has been cancelled.", CANCEL_REFUSED),
        ("We'll send you a replacement in the right colour.", EXCHANGE_REFUSED),
        ("We can exchange it for the blue one.", EXCHANGE_REFUSED),
        ("The kettle is still covered by the warranty.", WARRANTY_REFUSED),
        ("Our warranty covers this fault.", WARRANTY_REFUSED),
    ],
)
def test_other_promises_against_refusals_are_blocked(answer: str, verdict: PolicyVerdict) -> None:
    assert not result("policy.no_overpromise", compose(answer), verdict).passed


@pytest.mark.parametrize(
    "answer",
    [
        "I'm afraid it is no longer eligible for a return.",
        "It isn't eligible for a return, as the window closed on 30 November.",
        "You can't return it now, but the manufacturer's warranty may help.",
        "We are not able to accept the return this time.",
        "We cannot refund it, but I've passed your message to a colleague.",
        "You can contact the manufacturer about repairs.",
    ],
)
def test_honest_refusals_pass(answer: str) -> None:
    checked = result("policy.no_overpromise", compose(answer), RETURN_REFUSED, REFUND_REFUSED)
    assert checked.passed, checked.message


def test_promises_pass_when_the_verdict_allows_them() -> None:
    text = compose("You can return it from Your Orders, and we will refund you in full.")
    assert result("policy.no_overpromise", text, RETURN_OPEN).passed
    assert result("policy.no_overpromise", text).passed  # no verdicts: nothing to contradict


def test_one_eligible_item_keeps_the_kind_open() -> None:
    text = compose("You can return the kettle from Your Orders.")
    assert result("policy.no_overpromise", text, RETURN_REFUSED, RETURN_OPEN).passed


# --- restocking fee ------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "A 15% restocking fee will be taken from the refund.",
        "Please note there is a restocking fee for returns.",
        "We charge a restocking fee of 10 percent.",
    ],
)
def test_restocking_fee_when_none_is_allowed_is_blocked(answer: str) -> None:
    assert not result("policy.restocking_fee", compose(answer), NO_FEE).passed


def test_restocking_fee_against_a_fee_free_return_verdict_is_blocked() -> None:
    text = compose("A restocking fee of 20% applies.")
    assert not result("policy.restocking_fee", text, RETURN_OPEN).passed


@pytest.mark.parametrize(
    "answer",
    [
        "There is no restocking fee, as the kettle arrived damaged.",
        "We won't charge a restocking fee.",
        "You can send it back without a restocking fee.",
        "We have waived the restocking fee.",
    ],
)
def test_saying_there_is_no_fee_passes(answer: str) -> None:
    checked = result("policy.restocking_fee", compose(answer), NO_FEE)
    assert checked.passed, checked.message


def test_restocking_fee_of_the_allowed_size_passes_and_a_larger_one_fails() -> None:
    assert result("policy.restocking_fee", compose("A 15% restocking fee applies."), FEE_15).passed
    checked = result("policy.restocking_fee", compose("A 25% restocking fee applies."), FEE_15)
    assert not checked.passed
    assert "15%" in checked.message
    assert "25%" in checked.message


# --- deadline ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["12 December 2026", "December 12, 2026", "2026-12-12", "12 December", "Dec 12th"]
)
def test_the_verdicts_deadline_in_any_format_passes(written: str) -> None:
    text = compose(f"You can return it until {written}.")
    checked = result("policy.deadline_matches", text, RETURN_OPEN)
    assert checked.passed, checked.message


@pytest.mark.parametrize(
    "answer",
    [
        "You can return it until 15 December 2026.",
        "Please send it back by 2026-12-19.",
        "The return window closes on 31 December.",
        "You have until 12 December 2027 to send it back.",
    ],
)
def test_a_different_deadline_is_blocked(answer: str) -> None:
    checked = result("policy.deadline_matches", compose(answer), RETURN_OPEN)
    assert not checked.passed
    assert "12 December 2026" in checked.message


def test_other_dates_are_not_deadlines() -> None:
    # The delivery date comes from the order facts; "on" is not a deadline cue.
    text = compose("It was delivered on 31 October, and you can return it until 12 December.")
    assert result("policy.deadline_matches", text, RETURN_OPEN).passed


# --- the engine's and the articles' own words ------------------------------------------


def test_a_sentence_quoted_whole_from_a_cited_article_is_not_the_drafts_promise() -> None:
    kb = "You can cancel an order free of charge until it ships. We ship within 1 business day."
    text = compose("You can cancel an order free of charge until it ships.")
    context = CheckContext(buyer_texts=("Cancel please",), verdicts=(CANCEL_REFUSED,))
    by_id = {r.id: r for r in run_checks(text, context)}
    assert not by_id["policy.no_overpromise"].passed
    quoted = {r.id: r for r in run_checks(text, replace(context, cited_texts=(kb,)))}
    assert quoted["policy.no_overpromise"].passed


def test_a_quoted_fragment_of_an_article_is_still_judged() -> None:
    kb = "You can cancel an order free of charge until it ships."
    text = compose("You can cancel it.")
    context = CheckContext(cited_texts=(kb,), verdicts=(CANCEL_REFUSED,))
    assert not next(r for r in run_checks(text, context) if r.id == "policy.no_overpromise").passed


def test_the_verdicts_own_sentences_pass_every_policy_check() -> None:
    cancel = PolicyVerdict(
        kind="cancel",
        eligible=False,
        text="Order 112-3456789-1234567 has already been delivered, so it can't be canceled — "
        "but it can be returned instead until 31 January 2027.",
    )
    exchange = PolicyVerdict(
        kind="exchange",
        eligible=False,
        deadline=date(2026, 11, 13),
        text="The return window closed on 13 November 2026, so it can no longer be returned "
        "for a refund — but it is still covered by our 2-year warranty until 14 October 2028, "
        "so if anything is wrong with it we can repair or replace it.",
    )
    text = compose(f"{cancel.text}\n\n{exchange.text}")
    context = CheckContext(verdicts=(cancel, exchange))
    failures = [
        r.id for r in run_checks(text, context) if r.id.startswith("policy.") and not r.passed
    ]
    assert failures == []


def test_cancelled_is_a_fact_when_the_order_data_says_so() -> None:
    text = compose("Your order has been cancelled, so nothing more will be charged.")
    context = CheckContext(verdicts=(CANCEL_REFUSED,))
    check = "policy.no_overpromise"
    assert not next(r for r in run_checks(text, context) if r.id == check).passed
    cancelled = replace(context, order_facts_text='{"order_id": "1", "status": "canceled"}')
    assert next(r for r in run_checks(text, cancelled) if r.id == check).passed
