"""Return reasons from the buyer's own words."""

from __future__ import annotations

import pytest

from bot.policy import RETURN_REASONS, SELLER_FAULT_REASONS, detect_return_reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The kettle arrived broken, the lid is cracked.", "damaged"),
        ("The box was crushed and the pan is dented", "damaged"),
        ("It stopped working after a week", "defective"),
        ("my kettle won’t turn on", "defective"),
        ("the base is leaking water", "defective"),
        ("You sent me the wrong colour", "wrong_item"),
        ("This is not what I ordered", "wrong_item"),
        ("The lid is missing from the box", "missing_parts"),
        ("It looks nothing like the pictures", "not_as_described"),
        ("It arrived too late for the party", "arrived_late"),
        ("I found it cheaper elsewhere", "better_price"),
        ("I changed my mind, can I send it back?", "changed_mind"),
        ("I don't need it any more", "changed_mind"),
        ("The duvet is too small for our bed", "changed_mind"),
        ("I ordered it by mistake", "ordered_by_mistake"),
        ("I ordered the wrong size", "ordered_by_mistake"),
        ("The jeans came in the wrong size, I ordered W31", "wrong_item"),
        # A bare "wrong size" is the buyer's: it does not fit.
        ("send back the briefs, wrong size, packet is still sealed", "changed_mind"),
        # Seller-fault reasons win over the buyer's own choice when both are given.
        ("I changed my mind, and anyway it arrived broken", "damaged"),
        ("I ordered the wrong size and it arrived cracked", "damaged"),
        # A denied fault is no fault.
        ("It's not broken, I just changed my mind", "changed_mind"),
        ("Can I still return the kettle from order 112-3456789-1234567?", None),
        ("Where is my order?", None),
        ("", None),
    ],
)
def test_detect_return_reason(text: str, reason: str | None) -> None:
    assert detect_return_reason(text) == reason


def test_every_detected_reason_is_a_policy_reason() -> None:
    assert set(SELLER_FAULT_REASONS) <= set(RETURN_REASONS)
    samples = [
        "broken",
        "faulty",
        "wrong item",
        "missing parts",
        "not as described",
        "arrived late",
        "found it cheaper elsewhere",
        "changed my mind",
        "by mistake",
    ]
    for text in samples:
        assert detect_return_reason(text) in RETURN_REASONS
