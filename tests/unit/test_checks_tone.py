"""Humane tone: greeting, plain apologies, no blame, acknowledgement, next step, readability."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.checks import CHECKS, CheckContext, run_checks
from bot.facts import CheckResult

BUYER = "Hi, my kettle arrived damaged and the lid is cracked. Can I send it back?"
ACK = "I'm sorry your kettle arrived damaged — thank you for telling us."
NEXT = "You can start the return from Your Orders; reply to this message if anything is unclear."
SIGN_OFF = "Best wishes,\nThe Brightwater Home team"


def letter(*paragraphs: str, greeting: str = "Hi Maria,") -> str:
    return "\n\n".join([greeting, *paragraphs, SIGN_OFF])


BASE = CheckContext(buyer_texts=(BUYER,), buyer_name="Maria")


def results(text: str, **context: Any) -> dict[str, CheckResult]:
    checked = run_checks(text, replace(BASE, **context))
    return {result.id: result for result in checked}


def failed(text: str, **context: Any) -> set[str]:
    return {check_id for check_id, r in results(text, **context).items() if not r.passed}


def severity(check_id: str) -> str:
    return next(check.severity for check in CHECKS if check.id == check_id)


# --- greeting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "greeting",
    ["Hi Maria,", "Hi there,", "Hello Maria,", "Hello,", "Dear Maria,", "Good morning Maria,"],
)
def test_greetings_pass(greeting: str) -> None:
    assert "tone.greeting" not in failed(letter(ACK, NEXT, greeting=greeting))


def test_greeting_on_the_same_line_as_the_first_sentence_passes() -> None:
    text = f"Hi Maria, {ACK}\n\n{NEXT}\n\n{SIGN_OFF}"
    assert "tone.greeting" not in failed(text)


@pytest.mark.parametrize("opening", ["Your kettle", "Maria,", "Thanks for your message."])
def test_missing_greeting_is_a_warning(opening: str) -> None:
    text = f"{opening} {ACK}\n\n{NEXT}\n\n{SIGN_OFF}"
    checked = results(text)
    assert not checked["tone.greeting"].passed
    assert checked["tone.greeting"].severity == "warn"
    assert '"Hi Maria,"' in checked["tone.greeting"].message


def test_greeting_with_the_wrong_name_fails() -> None:
    text = letter(ACK, NEXT, greeting="Hi John,")
    checked = results(text, buyer_name="Maria Lopez")
    assert not checked["tone.greeting"].passed
    assert "John" in checked["tone.greeting"].message


def test_greeting_by_surname_or_full_name_passes() -> None:
    assert "tone.greeting" not in failed(
        letter(ACK, NEXT, greeting="Dear Ms Lopez,"), buyer_name="Maria Lopez"
    )
    assert "tone.greeting" not in failed(
        letter(ACK, NEXT, greeting="Hi Maria Lopez,"), buyer_name="Maria Lopez"
    )


# --- non-apologies -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "We're sorry if you feel let down by the kettle.",
        "I'm sorry you feel that way about the packaging.",
        "We regret any inconvenience.",
        "We are sorry for any inconvenience this may have caused.",
        "We apologise for any inconvenience caused.",
        "Sorry if this caused any trouble.",
        "Apologies if that was confusing.",
        "We regret if the parcel was late.",
    ],
)
def test_non_apologies_are_blocked(sentence: str) -> None:
    checked = results(letter(ACK, sentence, NEXT))
    assert not checked["tone.no_non_apology"].passed
    assert checked["tone.no_non_apology"].severity == "block"


@pytest.mark.parametrize(
    "sentence",
    [
        "I'm sorry your kettle arrived damaged.",
        "We're sorry we sent the wrong colour.",
        "I'm so sorry for the delay — that's our mistake.",
        "Sorry to hear the lid cracked.",
    ],
)
def test_plain_apologies_pass(sentence: str) -> None:
    assert "tone.no_non_apology" not in failed(letter(sentence, NEXT))


# --- "Unfortunately" -------------------------------------------------------------------


def test_opening_with_unfortunately_is_blocked() -> None:
    text = letter("Unfortunately the kettle is outside the return window.", NEXT)
    checked = results(text)
    assert not checked["tone.no_unfortunately_opening"].passed
    assert severity("tone.no_unfortunately_opening") == "block"
    assert not checked["tone.no_unfortunately"].passed


def test_opening_with_unfortunately_on_the_greeting_line_is_blocked() -> None:
    text = f"Hi Maria, unfortunately the kettle cannot be returned.\n\n{NEXT}\n\n{SIGN_OFF}"
    assert "tone.no_unfortunately_opening" in failed(text)


def test_later_sentence_starting_with_unfortunately_is_only_a_warning() -> None:
    text = letter(ACK, "Unfortunately the courier has no slots today.", NEXT)
    found = failed(text)
    assert "tone.no_unfortunately_opening" not in found
    assert "tone.no_unfortunately" in found
    assert severity("tone.no_unfortunately") == "warn"


def test_unfortunately_inside_a_sentence_passes() -> None:
    text = letter(ACK, "The courier, unfortunately, has no slots today.", NEXT)
    found = failed(text)
    assert "tone.no_unfortunately" not in found
    assert "tone.no_unfortunately_opening" not in found


# --- "as per our policy" --------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "As per our policy, returns are accepted from Your Orders.",
        "Per our policy the item must be unused.",
        "As per our return policy, you can start the return from Your Orders.",
        "This is as per policy.",
    ],
)
def test_policy_citing_is_blocked(sentence: str) -> None:
    assert "tone.no_policy_citing" in failed(letter(ACK, sentence, NEXT))


@pytest.mark.parametrize(
    "sentence",
    [
        "Our return policy lets you send it back from Your Orders.",
        "We charge nothing per item for the return.",
    ],
)
def test_mentioning_the_policy_plainly_passes(sentence: str) -> None:
    assert "tone.no_policy_citing" not in failed(letter(ACK, sentence, NEXT))


# --- blame ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "You should have checked the parcel on delivery.",
        "You should've read the instructions first.",
        "You failed to include the order id.",
        "It is your responsibility to pack it well.",
        "It's your responsibility to check the size.",
        "That was your own fault.",
        "You were supposed to return it within the window.",
        "You didn't read the listing.",
        "You should have been more careful with the lid.",
    ],
)
def test_blame_is_blocked(sentence: str) -> None:
    checked = results(letter(ACK, sentence, NEXT))
    assert not checked["tone.no_blame"].passed
    assert checked["tone.no_blame"].severity == "block"


@pytest.mark.parametrize(
    "sentence",
    [
        "You should have received a confirmation e-mail from Amazon.",
        "You should have the return label in Your Orders now.",
        "You should have been sent a label by now.",
        "That was our mistake, not yours.",
        "It is our responsibility to pack it well.",
    ],
)
def test_factual_should_have_and_owning_our_mistakes_pass(sentence: str) -> None:
    assert "tone.no_blame" not in failed(letter(ACK, sentence, NEXT))


# --- acknowledgement -----------------------------------------------------------------


def test_reply_about_the_buyers_subject_passes() -> None:
    text = letter("The kettle can go back from Your Orders.", NEXT)
    assert "tone.acknowledgement" not in failed(text)


@pytest.mark.parametrize(
    "phrase",
    [
        "Thank you for letting us know.",
        "Thank you for your kind message about your invoice.",
        "I'm truly sorry about the trouble.",
        "Thanks for checking in.",
        "I understand this is frustrating.",
    ],
)
def test_explicit_acknowledgement_phrase_passes(phrase: str) -> None:
    text = letter(phrase, "Start from Your Orders.")
    assert "tone.acknowledgement" not in failed(text, buyer_texts=("Help!!",))


def test_word_forms_count_as_the_same_subject() -> None:
    # "damage" in the reply, "damaged" from the buyer; "returning" vs "return".
    text = letter("Any damage in transit is covered.", "Start from Your Orders.")
    assert "tone.acknowledgement" not in failed(text)


def test_reply_that_ignores_the_buyer_is_warned() -> None:
    text = letter("Our shop opened in 2019 in Leeds.", "Start from Your Orders.")
    checked = results(text, buyer_texts=("The blender makes a burning smell.",))
    assert not checked["tone.acknowledgement"].passed
    assert checked["tone.acknowledgement"].severity == "warn"


def test_acknowledgement_still_applies_to_hand_offs() -> None:
    text = letter("A colleague will reply within 24 hours.")
    checked = results(text, handoff=True, buyer_texts=("The blender makes a burning smell.",))
    assert not checked["tone.acknowledgement"].passed


# --- next step -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "step",
    [
        "You can start the return from Your Orders.",
        "We will send a replacement today.",
        "I'll check with the courier and write back.",
        "Please pack it in its original box.",
        "Start the return from Your Orders.",
        "Just reply to this message with a photo.",
        "Let us know which colour you would prefer.",
        "The replacement arrives by 14 December.",
    ],
)
def test_concrete_next_steps_pass(step: str) -> None:
    assert "tone.next_step" not in failed(letter(ACK, step))


def test_reply_without_next_step_is_warned() -> None:
    text = letter(ACK, "The kettle is a popular model and the lid is sturdy.")
    checked = results(text)
    assert not checked["tone.next_step"].passed
    assert checked["tone.next_step"].severity == "warn"


def test_next_step_is_not_required_of_a_hand_off() -> None:
    text = letter("Thank you for your message about the kettle.")
    checked = results(text, handoff=True)
    assert checked["tone.next_step"].passed
    assert "hand-off" in checked["tone.next_step"].message


# --- readability ---------------------------------------------------------------------


def test_dense_jargon_is_below_the_readability_band() -> None:
    dense = (
        "Notwithstanding the aforementioned circumstances, reimbursement eligibility "
        "determination necessitates comprehensive verification of merchandise "
        "condition, authentication of documentation, and organisational authorisation "
        "procedures, consequently introducing considerable administrative complexity."
    )
    checked = results(letter(ACK, dense, NEXT))
    assert not checked["tone.readability"].passed
    assert checked["tone.readability"].severity == "warn"
    assert "below" in checked["tone.readability"].message


def test_readability_band_is_configurable() -> None:
    text = letter(ACK, NEXT)
    assert "tone.readability" not in failed(text)
    assert "tone.readability" in failed(text, readability_min=95.0)
    assert "tone.readability" in failed(text, readability_max=20.0)
