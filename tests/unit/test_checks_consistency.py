"""Consistency checks: drafts that contradict themselves, the buyer or the order."""

from __future__ import annotations

from typing import Any

from bot.checks import CheckContext, run_checks
from bot.facts import OrderFacts, OrderItemFacts, PolicyVerdict

KETTLE_ORDER = OrderFacts(
    order_id="112-3456789-1234567", status="delivered",
    items=[OrderItemFacts(sku="K", title="Stainless steel electric kettle, 1.7 L")],
)
RETURN_OK = PolicyVerdict(kind="return", eligible=True, text="Your kettle can be returned.")


def letter(*paragraphs: str) -> str:
    return "\n\n".join(["Hi Maria,", *paragraphs, "Best wishes,\nThe Brightwater Home team"])


def result(check_id: str, text: str, **context: Any) -> tuple[bool, str]:
    [found] = [r for r in run_checks(text, CheckContext(**context)) if r.id == check_id]
    return found.passed, found.message


def test_asking_again_for_a_given_order_number_is_blocked_and_quoted() -> None:
    text = letter("Thanks for getting in touch.",
                  "Could you reply with your order number so we can check?")
    passed, message = result("consistency.no_repeat_request", text,
                             buyer_texts=["where is 112-3456789-1234567?"])
    assert not passed
    assert "reply with your order number" in message
    # Without an order id in the buyer's words, asking is the right next step.
    assert result("consistency.no_repeat_request", text, buyer_texts=["where is it?"])[0]


def test_a_safety_hand_off_must_say_stop_using() -> None:
    holding = letter("I've passed your message to a senior member of our team.")
    passed, _ = result("consistency.safety_advice", holding, handoff=True,
                       handoff_reasons=("safety",))
    assert not passed
    advised = letter("Please stop using the kettle and unplug it. A senior member of our team "
                     "will contact you.")
    assert result("consistency.safety_advice", advised, handoff=True,
                  handoff_reasons=("safety",))[0]
    # Other hand-offs need no such advice.
    assert result("consistency.safety_advice", holding, handoff=True,
                  handoff_reasons=("legal",))[0]


def test_two_different_return_dates_are_blocked() -> None:
    text = letter("You can return it until 31 January 2027.",
                  "Please return it by 20 December 2026 at the latest.")
    passed, message = result("consistency.one_deadline", text)
    assert not passed
    assert "31 January 2027" in message and "20 December 2026" in message
    same = letter("You can return it until 31 January 2027.",
                  "Start the return from Your Orders by 31 January 2027.")
    assert result("consistency.one_deadline", same)[0]
    # Different deadlines for different things are fine.
    mixed = letter("It should arrive by 2 December 2026.",
                   "You can return it until 31 January 2027.")
    assert result("consistency.one_deadline", mixed)[0]


def test_an_item_not_in_the_order_is_flagged() -> None:
    text = letter("Your kettle can be returned.")
    passed, message = result(
        "consistency.item_in_order", text, order=KETTLE_ORDER, verdicts=(RETURN_OK,),
        buyer_texts=["can i return the blender from 112-3456789-1234567?"],
    )
    assert not passed
    assert '"blender"' in message and "112-3456789-1234567" in message
    assert result("consistency.item_in_order", text, order=KETTLE_ORDER, verdicts=(RETURN_OK,),
                  buyer_texts=["can i return the kettle from 112-3456789-1234567?"])[0]


def test_an_opening_about_a_subject_the_buyer_did_not_raise_is_flagged() -> None:
    text = letter("Thank you for your message about cancellation fees.", "It ships today.")
    passed, message = result("consistency.opening_on_topic", text,
                             buyer_texts=["where is my parcel"])
    assert not passed
    assert "cancellation" in message
    assert result("consistency.opening_on_topic", text,
                  buyer_texts=["is there a fee if i cancel?"])[0]
