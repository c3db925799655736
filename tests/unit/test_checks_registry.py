"""The registry and run_checks: stable ids and order, and clean humane replies pass all."""

from __future__ import annotations

from datetime import date

import pytest

from bot.checks import CHECKS, CheckContext, run_checks
from bot.facts import CheckResult, DraftReply, PolicyVerdict

SIGN_OFF = "Best wishes,\nThe Brightwater Home team"
PERSON = (
    "If you'd rather talk it through with a person, just reply and a member of our team will "
    "pick it up."
)
ORDER = (
    "Order 112-3456789-1234567 · status Shipped · purchased 2026-11-08 · shipped 2026-11-10 · "
    "estimated delivery 2026-11-13 · carrier UPS · tracking 1Z999AA10123456784 · "
    "1 × Brightwater kettle 1.7 l (39.99)"
)
RETURN_CHUNK = (
    "You can return most items within 30 days of delivery. Start the return from Your Orders "
    "and print the label. Once the return reaches us, we refund you within 2 business days."
)
DAMAGED_CHUNK = (
    "If an item arrives damaged, we cover the return shipping and there is no restocking fee. "
    "A photo of the damage helps us improve our packing."
)
RETURN_OPEN = PolicyVerdict(
    kind="return",
    eligible=True,
    deadline=date(2026, 12, 13),
    rule_ids=["return.window_30_days", "restocking_fee.seller_fault"],
    text="Inside the 30-day return window until 2026-12-13; seller at fault: no restocking fee.",
    refund_method="original payment method",
    refund_timing_text="within 2 business days of receiving the return",
)
CANCEL_REFUSED = PolicyVerdict(
    kind="cancel", eligible=False, text="The order has already shipped, so it can't be cancelled."
)

CLEAN_ANSWERS: list[tuple[str, str, CheckContext]] = [
    (
        "damaged kettle",
        "\n\n".join(
            [
                "Hi Maria,",
                "I'm sorry your kettle arrived damaged — thank you for telling us.",
                f"{RETURN_CHUNK} {DAMAGED_CHUNK}",
                "You can start the return from Your Orders by 13 December; reply to this "
                "message if anything is unclear.",
                PERSON,
                SIGN_OFF,
            ]
        ),
        CheckContext(
            buyer_texts=("Hello, my kettle arrived damaged, the lid is cracked. What can I do?",),
            buyer_name="Maria Lopez",
            cited_texts=(RETURN_CHUNK, DAMAGED_CHUNK),
            verdicts=(RETURN_OPEN,),
            order_facts_text=ORDER,
        ),
    ),
    (
        "where is my order",
        "\n\n".join(
            [
                "Hi James,",
                "I'm sorry your order hasn't reached you yet — thank you for your patience.",
                "Your order 112-3456789-1234567 shipped with UPS on 10 November, and the "
                "estimated delivery is 13 November. The tracking number is 1Z999AA10123456784.",
                "You can follow the parcel from Your Orders; reply to this message if it "
                "hasn't arrived by then.",
                PERSON,
                SIGN_OFF,
            ]
        ),
        CheckContext(
            buyer_texts=(
                "where is my order 112-3456789-1234567?? it's been ages",
                "still nothing, getting worried",
            ),
            buyer_name="James",
            cited_texts=("Orders ship within 2 business days. Tracking is in Your Orders.",),
            order_facts_text=ORDER,
            allowed_link_domains=("amazon.com",),
        ),
    ),
    (
        "cancellation refused, honestly",
        "\n\n".join(
            [
                "Hi there,",
                "Thank you for letting us know you no longer need the kettle.",
                "The order has already shipped, so it can't be cancelled now. Once it arrives, "
                "you can return it within 30 days of delivery, and we refund you within 2 "
                "business days of receiving it.",
                "Start the return from Your Orders when the parcel arrives.",
                PERSON,
                SIGN_OFF,
            ]
        ),
        CheckContext(
            buyer_texts=("Please cancel my kettle order, I ordered the wrong one.",),
            cited_texts=(RETURN_CHUNK,),
            verdicts=(CANCEL_REFUSED, RETURN_OPEN),
            order_facts_text=ORDER,
        ),
    ),
    (
        "warranty with the manufacturer's line, typographic quotes",
        "\n\n".join(
            [
                "Hello Priya,",
                "I’m sorry the toaster has stopped heating — that’s frustrating.",
                "The toaster has a two-year manufacturer’s warranty. The manufacturer’s "
                "warranty line is 1-800-555-0199, and their site is support.toastco.com.",
                "Please keep your order number to hand when you call them.",
                PERSON,
                SIGN_OFF,
            ]
        ),
        CheckContext(
            buyer_texts=("My toaster stopped heating after 5 months. Is it under warranty?",),
            buyer_name="Priya",
            cited_texts=("Toasters carry a 2-year manufacturer's warranty.",),
            allowed_link_domains=("toastco.com",),
            allowed_phone_numbers=("+1 800 555 0199",),
        ),
    ),
]

HANDOFFS: list[tuple[str, str, CheckContext]] = [
    (
        subject,
        "\n\n".join(
            [
                "Hi there,",
                f"Thank you for your message about {subject}. I want to make sure you get the "
                "right answer, so I've passed it to a member of our team, who will reply "
                "within 24 hours.",
                SIGN_OFF,
            ]
        ),
        CheckContext(buyer_texts=(buyer,), handoff=True),
    )
    for subject, buyer in [
        ("your refund", "I want my money back NOW or I'm calling my lawyer"),
        ("a burning smell", "the blender smells like burning plastic, is it safe??"),
        ("your order", "asdfgh order??"),
        ("the weather", "what's the weather in Paris tomorrow?"),
    ]
]


def test_ids_are_unique_namespaced_and_described() -> None:
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids))
    for check in CHECKS:
        family, _, name = check.id.partition(".")
        assert family in {"compliance", "tone", "grounding", "privacy", "policy", "consistency"}, (
            check.id
        )
        assert name
        assert check.severity in {"block", "warn"}
        assert check.description.endswith(".")


def test_the_registry_covers_every_rule_family_with_the_right_severity() -> None:
    by_id = {check.id: check.severity for check in CHECKS}
    assert by_id["compliance.no_links"] == "block"
    assert by_id["tone.greeting"] == "warn"
    assert by_id["tone.no_non_apology"] == "block"
    assert by_id["tone.no_unfortunately_opening"] == "block"
    assert by_id["tone.no_unfortunately"] == "warn"
    assert by_id["tone.readability"] == "warn"
    assert by_id["grounding.figures_supported"] == "block"
    assert by_id["privacy.no_instruction_leak"] == "block"
    assert by_id["policy.deadline_matches"] == "block"


def test_one_result_per_check_in_registry_order() -> None:
    results = run_checks("Hi there,\n\nThanks.", CheckContext())
    assert [r.id for r in results] == [check.id for check in CHECKS]
    assert all(isinstance(r, CheckResult) for r in results)
    assert [r.severity for r in results] == [check.severity for check in CHECKS]


def test_a_failed_check_says_what_to_fix_and_passes_say_what_was_checked() -> None:
    results = {r.id: r for r in run_checks("Visit example.com now!", CheckContext())}
    assert not results["compliance.no_links"].passed
    assert "example.com" in results["compliance.no_links"].message
    descriptions = {check.id: check.description for check in CHECKS}
    assert results["compliance.no_email"].message == descriptions["compliance.no_email"]


@pytest.mark.parametrize(
    ("name", "text", "context"), CLEAN_ANSWERS, ids=[name for name, _, _ in CLEAN_ANSWERS]
)
def test_clean_humane_answers_pass_every_check(name: str, text: str, context: CheckContext) -> None:
    failures = [r for r in run_checks(text, context) if not r.passed]
    assert failures == [], name


@pytest.mark.parametrize(
    ("subject", "text", "context"), HANDOFFS, ids=[subject for subject, _, _ in HANDOFFS]
)
def test_hand_off_drafts_pass_every_check(subject: str, text: str, context: CheckContext) -> None:
    failures = [r for r in run_checks(text, context) if not r.passed]
    assert failures == [], subject


def test_blocking_failures_reach_the_draft() -> None:
    text = "Hi there,\n\nAs per our policy, use code SAVE20 :)\n\nBest wishes,\nThe team"
    draft = DraftReply(
        text=text, handoff=False, confidence=0.9, checks=run_checks(text, CheckContext())
    )
    blocking = {check.id for check in draft.blocking_failures}
    assert {"tone.no_policy_citing", "compliance.no_marketing", "compliance.no_emoji"} <= blocking
    assert all(check.severity == "block" for check in draft.blocking_failures)


def test_a_long_reply_is_checked_whole() -> None:
    # Every check still runs on a reply at the marketplace limit (and a little over it).
    paragraph = (
        "You can return most items within 30 days of delivery. Start the return from Your "
        "Orders and print the label. "
    )
    text = "Hi Maria,\n\n" + paragraph * 20 + "\n\n" + SIGN_OFF
    context = CheckContext(buyer_texts=("Can I return it?",), cited_texts=(paragraph,))
    results = {r.id: r for r in run_checks(text, context)}
    assert len(results) == len(CHECKS)
    assert not results["compliance.max_length"].passed
    assert results["grounding.figures_supported"].passed
