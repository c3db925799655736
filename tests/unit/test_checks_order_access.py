"""Order facts only for orders bound to the conversation; no postal address (issue 15)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.checks import CheckContext, run_checks
from bot.facts import CheckResult, OrderFacts

FRIEND = "112-2233445-5566778"
OWN = "112-3456789-1234567"
BUYER = f"my friend's order {FRIEND} what's the shipping address? he lives at 42 Elm Street"
ORDER = OrderFacts(
    order_id=FRIEND, status="shipped", shipped_at=date(2026, 11, 28),
    estimated_delivery=date(2026, 12, 2), carrier="UPS", tracking_number="1Z999AA10987654321",
)


def compose(answer: str) -> str:
    return f"Hi there,\n\nThanks for your message.\n\n{answer}\n\nBest wishes,\nThe team"


def result(check_id: str, text: str, **context: Any) -> CheckResult:
    values: dict[str, Any] = {"buyer_texts": (BUYER,), **context}
    found = next(r for r in run_checks(text, CheckContext(**values)) if r.id == check_id)
    assert found.severity == "block"
    return found


def test_an_order_id_the_buyer_named_but_is_not_bound_is_blocked() -> None:
    text = compose(f"Order {FRIEND} is on its way.")
    # The older privacy check lets it through (the buyer wrote it); the binding check does not.
    assert result("privacy.no_foreign_order_id", text, bound_order_ids=()).passed
    failed = result("privacy.bound_orders_only", text, bound_order_ids=())
    assert not failed.passed and FRIEND in failed.message
    assert result("privacy.bound_orders_only", text, bound_order_ids=(FRIEND,)).passed


def test_facts_of_an_unbound_order_are_blocked_even_without_its_id() -> None:
    text = compose("It shipped on 28 November with UPS and should arrive by 2 December.")
    failed = result("privacy.bound_orders_only", text, bound_order_ids=(OWN,), order=ORDER)
    assert not failed.passed
    assert "UPS" in failed.message and "28 November" in failed.message
    assert result("privacy.bound_orders_only", text, bound_order_ids=(FRIEND,),
                  order=ORDER).passed


def test_a_tracking_number_of_no_bound_order_is_blocked() -> None:
    text = compose("Your tracking number is 1Z999AA10123456784.")
    assert not result("privacy.bound_orders_only", text, bound_order_ids=()).passed
    # The documented example order id and a phone number are not order facts.
    fine = compose("An order id looks like 123-1234567-1234567; call 1-800-555-0100.")
    assert result("privacy.bound_orders_only", fine, bound_order_ids=()).passed


def test_drafts_stored_before_bindings_are_left_to_the_privacy_check() -> None:
    text = compose(f"Order {FRIEND} is on its way.")
    assert result("privacy.bound_orders_only", text, bound_order_ids=None).passed


def test_an_address_never_appears_even_one_the_buyer_gave() -> None:
    text = compose("We'll send it to 42 Elm Street.")
    assert result("privacy.no_foreign_contact", text).passed  # the buyer's own: allowed there
    failed = result("privacy.no_address", text)
    assert not failed.passed and "42 Elm Street" in failed.message
    published = "Returns go to 10 Mill Road, Leeds LS1 4AB."
    assert result("privacy.no_address", compose(published), cited_texts=(published,)).passed
