"""Marketplace messaging rules: each kind of violation is caught, near misses are not."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.checks import CheckContext, run_checks

BUYER = "Hi, my kettle arrived damaged and the lid is cracked. Can I send it back?"


def compose(answer: str) -> str:
    """A reply shaped like the offline composer's, with ``answer`` as its middle."""
    return (
        "Hi Maria,\n\n"
        "I'm sorry your kettle arrived damaged — thank you for telling us.\n\n"
        f"{answer}\n\n"
        "You can start the return from Your Orders; reply to this message if anything is "
        "unclear.\n\n"
        "If you'd rather talk it through with a person, just reply and a member of our team "
        "will pick it up.\n\n"
        "Best wishes,\nThe Brightwater Home team"
    )


BASE = CheckContext(buyer_texts=(BUYER,), buyer_name="Maria")


def failed(text: str, **context: Any) -> set[str]:
    results = run_checks(text, replace(BASE, **context))
    return {result.id for result in results if not result.passed}


def message_of(check_id: str, text: str, **context: Any) -> str:
    results = run_checks(text, replace(BASE, **context))
    return next(result.message for result in results if result.id == check_id)


# --- links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "You can read the details at https://example.com/returns.",
        "See http://brightwater-home.co.uk/help?id=3 for the steps.",
        "The guide is on www.brightwaterhome.com.",
        "The guide is on brightwaterhome.com if you want to look.",
        "Our full range is at shop.example.net/kettles.",
        "Try bit.ly/3xYz for the manual.",
        "The manual is at EXAMPLE.COM.",
    ],
)
def test_links_outside_the_allow_list_are_blocked(answer: str) -> None:
    assert "compliance.no_links" in failed(compose(answer))


@pytest.mark.parametrize(
    "answer",
    [
        "The manual is at https://www.amazon.com/gp/help/customer/display.html.",
        "Start from amazon.com and open Your Orders.",
        "The label prints from https://sellercentral.amazon.co.uk/returns.",
    ],
)
def test_allow_listed_domains_and_their_subdomains_pass(answer: str) -> None:
    assert "compliance.no_links" not in failed(
        compose(answer), allowed_link_domains=("amazon.com", "amazon.co.uk")
    )


@pytest.mark.parametrize(
    "answer",
    [
        "Wipe it with a soft cloth, e.g. a microfibre one, i.e. nothing abrasive.",
        "We received it.It will be checked today.",  # a missing space is not a domain
        "The manual (manual.pdf) is in the box.",
        "Version 2.0 of the app fixed this.",
    ],
)
def test_things_that_only_look_like_domains_pass(answer: str) -> None:
    assert "compliance.no_links" not in failed(compose(answer))


def test_link_message_names_the_offending_link() -> None:
    message = message_of("compliance.no_links", compose("See https://example.com/returns."))
    assert "https://example.com/returns" in message


# --- e-mail --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "Write to help@brightwater.com and we will sort it.",
        "You can also e-mail Support.Team+kettles@mail.example.co.uk.",
        "Our address is returns [at] brightwater.com.",
    ],
)
def test_email_addresses_are_blocked(answer: str) -> None:
    assert "compliance.no_email" in failed(compose(answer))


def test_email_domain_is_not_reported_as_a_link_too() -> None:
    found = failed(compose("Write to help@brightwater.com."))
    assert "compliance.no_email" in found
    assert "compliance.no_links" not in found


# --- phone numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "Call us on (555) 123-4567 any weekday.",
        "Call us on 555-123-4567 any weekday.",
        "Ring 1-800-555-0199 and ask for returns.",
        "Our line is +44 20 7946 0958.",
        "Our line is 020 7946 0958.",
        "Text 07700 900123 with a photo.",
        "Phone: 5551234567.",
        "Our line is 555.123.4567.",
    ],
)
def test_phone_numbers_are_blocked(answer: str) -> None:
    assert "compliance.no_phone" in failed(compose(answer))


@pytest.mark.parametrize(
    "answer",
    [
        "Your order 112-3456789-1234567 shipped with UPS.",
        "The tracking number is 1Z999AA10123456784.",
        "The USPS tracking number is 9400 1000 0000 0000 0000 00.",
        "The FedEx tracking number is 123456789012.",
        "It shipped on 2026-11-12 and arrived on 12/11/2026.",
        "The refund of $1,234.56 went out on 12.11.2026.",
        "It is model KT-2000 in the 1.7 litre size.",
    ],
)
def test_ids_tracking_numbers_dates_and_prices_are_not_phone_numbers(answer: str) -> None:
    assert "compliance.no_phone" not in failed(compose(answer))


@pytest.mark.parametrize(
    "written", ["+1 (800) 555-0199", "1-800-555-0199", "800.555.0199", "(800) 555-0199"]
)
def test_allow_listed_support_number_passes_in_any_format(written: str) -> None:
    answer = f"The manufacturer's warranty line is {written}."
    assert "compliance.no_phone" not in failed(
        compose(answer), allowed_phone_numbers=("+1 800 555 0199",)
    )
    assert "compliance.no_phone" in failed(compose(answer))


def test_allow_list_does_not_cover_a_different_number() -> None:
    answer = "The manufacturer's warranty line is 1-800-555-0123."
    assert "compliance.no_phone" in failed(
        compose(answer), allowed_phone_numbers=("+1 800 555 0199",)
    )


# --- marketing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "As a thank you, use code SAVE20 at checkout.",
        "Your discount code is KETTLE10.",
        "Here's a discount code for next time.",
        "Here is a coupon code for your trouble: KETTLE10.",
        "We'd like to offer you a coupon for the trouble.",
        "Enjoy 15% off your next order with us.",
        "Take $5 off any purchase this month.",
        "We'll give you a discount on your next purchase.",
        "While you wait, check out our other products.",
        "Have a look at our new range of teapots.",
        "Visit our store for more kitchen favourites.",
        "Please visit our Amazon storefront for matching mugs.",
        "Sign up for our newsletter to hear about new arrivals.",
        "Don't miss our limited-time offer on toasters.",
        "You might also like our matching toaster.",
        "Follow us on Instagram for tips.",
    ],
)
def test_marketing_and_coupons_are_blocked(answer: str) -> None:
    assert "compliance.no_marketing" in failed(compose(answer))


@pytest.mark.parametrize(
    "answer",
    [
        "The coupon you used at checkout stays with the order, so the refund is the amount you "
        "paid.",
        "If the error code on the display is E3, unplug it for a minute.",
        "Error code E1234 means the lid is open.",
        "It shipped with tracking 1Z999AA10123456784.",
        "Promotional codes go in the field for gift cards and promotional codes at checkout.",
        "Enter the code at checkout, then choose Apply.",
        "Please turn the kettle off at the wall before you pack it.",
        "We will make sure your next delivery is packed more carefully.",
        "Your refund goes back to your gift card balance if you paid with one.",
        "The discount you received is already taken off the refund amount.",
    ],
)
def test_ordinary_mentions_of_coupons_and_orders_are_not_marketing(answer: str) -> None:
    assert "compliance.no_marketing" not in failed(compose(answer))


# --- review manipulation -------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "We would really appreciate a 5-star review once it is sorted.",
        "If you're happy, please leave us a positive review.",
        "Could you give us five stars?",
        "A glowing review would help us a lot, if you have a moment.",
        "We will send you a free gift if you leave a review.",
        "Leave an honest review and we will refund your shipping.",
        "In exchange for a review we can offer a partial refund.",
        "Would you consider changing your review now that it is fixed?",
        "Could you please remove the negative feedback you left?",
        "We hope you will update your 1-star rating.",
        "Once your review is removed we will send the replacement.",
        "Please rate us highly.",
    ],
)
def test_review_manipulation_is_blocked(answer: str) -> None:
    assert "compliance.no_review_manipulation" in failed(compose(answer))


@pytest.mark.parametrize(
    "answer",
    [
        "Thank you for the kind feedback about the delivery driver.",
        "We will review your return as soon as it arrives and refund you.",
        "Our team will review the photos and refund you if it's faulty.",
        "Thank you for your great review of the teapot.",
        "I have passed your feedback to our packing team.",
        "If you need help while writing your review, feel free to reply here.",
        "We never offer anything in return for a review, and we never ask you to change one.",
        "You can edit or delete your own product review from your Amazon profile at any time.",
        "Amazon may remove reviews that break its community guidelines.",
    ],
)
def test_reviews_mentioned_without_manipulation_pass(answer: str) -> None:
    assert "compliance.no_review_manipulation" not in failed(compose(answer))


# --- emoji, HTML, length ---------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "We'll sort it out 😊",
        "Thanks for your patience 👍",
        "Your parcel is on its way ✨",
        "Have a lovely day ☀️",
        "Happy to help :)",
        "Happy to help ;-)",
        "Thanks <3",
    ],
)
def test_emoji_and_emoticons_are_blocked(answer: str) -> None:
    assert "compliance.no_emoji" in failed(compose(answer))


@pytest.mark.parametrize(
    "answer",
    [
        "The Brightwater™ kettle is covered (see the leaflet: page two).",
        "Opening hours are 9:30 to 17:00, Monday to Friday.",
        "Choose one of these: a replacement or a refund.",
    ],
)
def test_symbols_times_and_colons_are_not_emoji(answer: str) -> None:
    assert "compliance.no_emoji" not in failed(compose(answer))


@pytest.mark.parametrize(
    "answer",
    [
        "Please <b>do not</b> use it.",
        "Line one<br>line two.",
        '<a href="https://example.com">click</a>',
        "Pots &amp; pans are fine.",
        "It costs &#36;5.",
        "<p>Thank you.</p>",
    ],
)
def test_html_tags_and_entities_are_blocked(answer: str) -> None:
    assert "compliance.no_html" in failed(compose(answer))


@pytest.mark.parametrize("answer", ["2 < 3 and 5 > 4 in the chart.", "Pots & pans are fine."])
def test_comparison_signs_and_ampersands_are_not_html(answer: str) -> None:
    assert "compliance.no_html" not in failed(compose(answer))


def test_length_limit_is_enforced() -> None:
    long_answer = "The kettle can be returned from Your Orders. " * 60
    text = compose(long_answer)
    assert len(text) > 2000
    assert "compliance.max_length" in failed(text)
    assert "compliance.max_length" not in failed(text, max_chars=len(text))
    assert f"{len(text)} characters" in message_of("compliance.max_length", text)


def test_a_reply_of_exactly_the_limit_passes() -> None:
    text = compose("Short answer.")
    assert "compliance.max_length" not in failed(text, max_chars=len(text))
    assert "compliance.max_length" in failed(text, max_chars=len(text) - 1)
