"""Which policy decision a buyer's words ask for, whatever the topic classifier says."""

from __future__ import annotations

import pytest

from bot.drafting.pipeline import policy_question


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("can i send back my kettle?", "return_item"),
        ("is it still returnable without the box?", "return_item"),
        ("I want to cancel order 112-3456789-1234567", "cancel_order"),
        ("can I swap it for the grey one", "exchange_item"),
        ("when do I get my money back", "get_refund"),
        ("the handle came loose, is that covered?", "warranty"),
        ("do I need a receipt for a warranty claim", "warranty"),
        # A problem with the item asks for the seller-fault return rules (and the warranty
        # past the window) even without the word "return".
        ("2 of the 3 jars arrived smashed", "return_item"),
        ("the box had a toaster in it, not a kettle, wrong item", "return_item"),
        ("my kettle stopped heating", "return_item"),
        ("My pan has a loose handle.", "return_item"),
        ("you sent me a red kettle, i ordered the stainless steel one", "return_item"),
        ("i ordered the grey pan set but you sent the red one", "return_item"),
        ("can I switch the 20cm chef's knife to a bigger one before it goes out?",
         "exchange_item"),
        ("will i get charged a restocking fee? i used the kettle twice", "return_item"),
        ("where is my parcel?", None),
        ("do you take PayPal?", None),
    ],
)
def test_policy_question(text: str, asked: str | None) -> None:
    assert policy_question(text) == asked
