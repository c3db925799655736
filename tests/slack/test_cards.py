"""The card and modal builders (pure functions): content, plain words, escaping, Slack's
limits, and the size of the card an agent reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.facts import (
    CheckResult,
    Citation,
    DraftReply,
    OrderFacts,
    OrderItemFacts,
    PolicyVerdict,
    ReplySource,
)
from bot.slack.cards import (
    ACTION_IDS,
    DETAILS,
    CardView,
    card_blocks,
    card_text,
    decision_line,
    escape,
    quote,
    time_left,
)
from bot.slack.details import DETAILS_CALLBACK, details_modal
from bot.slack.modals import edit_modal, reject_modal

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
URL = "https://desk.example/"
# Internal codes an agent must never read on the card.
INTERNAL = ("compliance.", "tone.", "no_marketing", "out_of_scope", "human_request",
            "offline", "where_is_my_order", "pending_review")


def view(**changes: object) -> CardView:
    reply = DraftReply(
        text="Hi Ana,\nyour <order> & parcel ships today.", handoff=False, confidence=0.74,
        intents=["where_is_my_order"],
        citations=[Citation(article_id="shipping", revision=3, title="Shipping <fast> & free",
                            chunk_id="shipping:3:0")],
        checks=[
            CheckResult(id="compliance.no_marketing", severity="block", passed=False,
                        message="Remove marketing, coupons or product promotion: coupon."),
            CheckResult(id="tone.greeting", severity="warn", passed=False,
                        message="Start with a greeting, e.g. Hi Ana,"),
            CheckResult(id="compliance.max_length", severity="warn", passed=True, message="ok"),
        ],
        composer="offline",
        order=OrderFacts(order_id="112-1234567-1234567", status="Shipped", carrier="DHL"),
        verdicts=[PolicyVerdict(kind="return", eligible=False, text="Past the 30-day window.")],
    )
    values: dict[str, object] = {
        "draft_id": 7, "conversation_id": "conv-1", "buyer_name": "Ana <b>",
        "buyer_messages": ["Where is it?\nOrder 112-1234567-1234567 <now>"], "reply": reply,
        "due_at": NOW + timedelta(hours=13, minutes=5), "status": "pending_review",
    }
    values.update(changes)
    return CardView(**values)  # type: ignore[arg-type]


def passing(card: CardView) -> CardView:
    """The same card with every check passed (the common case)."""
    checks = [c.model_copy(update={"passed": True}) for c in card.reply.checks]
    return view(reply=card.reply.model_copy(update={"checks": checks}))


def texts(node: Any, *, kinds: tuple[str, ...] = ("mrkdwn", "plain_text")) -> Iterator[str]:
    """Every text object's text of the given kinds, wherever it sits in the blocks."""
    if isinstance(node, dict):
        if node.get("type") in kinds and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from texts(value, kinds=kinds)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value, kinds=kinds)


def mrkdwn(blocks: Any) -> str:
    return "\n".join(texts(blocks, kinds=("mrkdwn",)))


def all_text(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_markup_is_escaped_and_messages_quoted() -> None:
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert quote("one\ntwo <x>") == ">one\n>two &lt;x&gt;"
    blocks = card_blocks(view(), public_url=URL)
    # plain_text (buttons, the confirmation) is shown literally; only mrkdwn is escaped.
    text = mrkdwn(blocks)
    assert "<b>" not in text and "<now>" not in text and "<order>" not in text
    assert ">Order 112-1234567-1234567 &lt;now&gt;" in text


def test_the_common_card_is_four_blocks_in_plain_words() -> None:
    blocks = card_blocks(passing(view()), public_url=URL)
    assert [b["type"] for b in blocks] == ["section", "section", "context", "actions"]
    buyer, draft, context, _ = blocks
    assert buyer["text"]["text"].startswith("*Ana &lt;b&gt;* wrote:\n>Where is it?")
    assert draft["text"]["text"].startswith("*Draft reply*\nHi Ana,")
    [line] = context["elements"]
    assert line["text"].startswith("Confidence 74% · reply due ")
    assert f"<!date^{int((NOW + timedelta(hours=13, minutes=5)).timestamp())}^" in line["text"]
    assert "Sources: <https://desk.example/kb/articles/shipping|Shipping &lt;fast&gt; &amp; free>" \
        in line["text"]
    text = all_text(blocks)
    assert not [code for code in INTERNAL if code in text]
    # Order, policy and checks wait in the Details modal.
    assert "112-1234567-1234567" not in draft["text"]["text"] and "DHL" not in text
    assert "30-day" not in text and "check" not in text.lower()
    assert [e["action_id"] for e in buttons(blocks)] == [*ACTION_IDS, DETAILS]
    assert {e["value"] for e in buttons(blocks)} == {"7"}


def test_failed_checks_add_one_block_in_plain_words_with_what_failed() -> None:
    blocks = card_blocks(view(), public_url=URL)
    assert len(blocks) == 5
    [checks] = [b for b in blocks if b["type"] == "section" and "failed" in b["text"]["text"]]
    text = checks["text"]["text"]
    assert text.startswith("*2 checks failed*\n:no_entry: *no marketing or coupons* "
                           "(blocks Approve): Remove marketing, coupons or product promotion: "
                           "coupon.")
    assert ":warning: *greets the buyer*: Start with a greeting, e.g. Hi Ana," in text
    assert "use *Edit*" in text
    assert "within Amazon's length limit" not in text  # passed checks stay in Details
    assert not [code for code in INTERNAL if code in all_text(blocks)]


def test_a_hand_off_says_why_in_plain_words() -> None:
    reply = view().reply.model_copy(update={
        "handoff": True, "handoff_reason": "out_of_scope,human_request", "citations": [],
    })
    text = all_text(card_blocks(view(reply=reply), public_url=URL))
    assert "hands over: not covered by the knowledge base, asked for a person" in text
    assert "no knowledge-base sources" in text
    assert "out_of_scope" not in text and "human_request" not in text


def test_the_card_shows_the_newest_buyer_message_clipped() -> None:
    card = view(buyer_messages=["Hello?", "Second: where is my parcel? " + "really " * 300])
    [buyer] = card_blocks(card, public_url=URL)[:1]
    text = buyer["text"]["text"]
    assert "(newest of 2 messages; all under Details)" in text
    assert ">Second: where is my parcel?" in text and "Hello?" not in text
    assert len(text) < 800 and text.endswith("… (full message under Details)")


def test_approve_asks_for_confirmation_naming_the_buyer_and_the_opening() -> None:
    [approve] = [e for e in buttons(card_blocks(view(), public_url=URL))
                 if e["action_id"] == "draft_approve"]
    confirm = approve["confirm"]
    assert confirm["title"] == {"type": "plain_text", "text": "Send this reply to the buyer?"}
    assert confirm["text"]["type"] == "plain_text"
    assert confirm["text"]["text"] == "To Ana <b>: “Hi Ana, your <order> & parcel ships today.”"
    assert confirm["confirm"]["text"] == "Send" and confirm["deny"]["text"] == "Cancel"
    long = view(reply=view().reply.model_copy(update={"text": "Hello " * 200}))
    [approve] = [e for e in buttons(card_blocks(long, public_url=URL))
                 if e["action_id"] == "draft_approve"]
    # Slack's limits: title 100, text 300, buttons 30 characters.
    assert len(approve["confirm"]["text"]["text"]) <= 300


def test_slack_limits_are_respected_for_long_texts() -> None:
    long = view(buyer_messages=["word " * 2000],
                reply=view().reply.model_copy(update={"text": "reply " * 2000}))
    blocks = card_blocks(long, public_url=URL)
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    assert "truncated" in all_text(blocks)
    modal = details_modal(long, public_url=URL)
    assert len(modal["blocks"]) <= 100
    assert all(len(t) <= 3000 for t in texts(modal["blocks"]))


def test_a_decided_card_says_who_decided_what_and_when_without_buttons() -> None:
    decided = view(status="sent", decided_by="slack:U1", decided_at=NOW,
                   final_text="Hi Ana, edited.", final_checks=[
                       CheckResult(id="tone.greeting", severity="warn", passed=True, message="ok")
                   ])
    blocks = card_blocks(decided, public_url=URL)
    assert not buttons(blocks)
    line = decision_line(decided)
    assert "Edited, approved and sent" in line and "<@U1>" in line
    assert f"<!date^{int(NOW.timestamp())}^" in line
    text = all_text(blocks)
    assert "Sent reply (edited)" in text and "Hi Ana, edited." in text
    assert "Checks: all passed" in text  # of the text sent, not of the draft
    assert "reply due" not in text and "left" not in text
    assert len(blocks) <= 4
    rejected = view(status="rejected", decided_by="lead@example.com", decided_at=NOW,
                    decision_note="wrong <order>")
    assert "Rejected* by lead@example.com" in decision_line(rejected)
    assert ">wrong &lt;order&gt;" in decision_line(rejected)
    assert "Checks: 2 failed: no marketing or coupons, greets the buyer" in all_text(
        card_blocks(rejected, public_url=URL))
    assert "Superseded" in decision_line(view(status="superseded"))
    assert card_text(rejected) == "Draft #7 to Ana <b>: rejected"


def test_an_override_says_who_overrode_which_check_and_why() -> None:
    reason = "The buyer asked for the <coupon> code by phone."
    overridden = view(status="sent", decided_by="lead@example.com", decided_at=NOW,
                      final_text=view().reply.text, final_checks=view().reply.checks,
                      override_reason=reason, decision_note=reason)
    text = mrkdwn(card_blocks(overridden, public_url=URL))
    assert ("Checks: no marketing or coupons, greets the buyer failed, overridden by "
            "lead@example.com: The buyer asked for the &lt;coupon&gt; code by phone.") in text
    assert "all passed" not in text
    assert text.count("by phone") == 1  # the reason is not repeated as a note


def test_time_left_and_overdue() -> None:
    due = NOW + timedelta(hours=2, minutes=3)
    assert time_left(due, NOW) == "2 h 03 min left"
    assert time_left(NOW - timedelta(minutes=90), NOW) == "overdue by 1 h 30 min"


def test_modals_fit_slack_and_carry_the_draft_id() -> None:
    for modal in (edit_modal(view()), reject_modal(view()), details_modal(view(), public_url=URL)):
        assert len(modal["title"]["text"]) <= 24
        assert modal["private_metadata"] == "7"
    assert edit_modal(view())["blocks"][-1]["element"]["initial_value"] == view().reply.text


def test_details_carry_everything_the_card_leaves_out_in_plain_words() -> None:
    card = view(buyer_messages=["First <one>", "Second"])
    modal = details_modal(card, public_url=URL)
    assert modal["callback_id"] == DETAILS_CALLBACK and "submit" not in modal
    text = mrkdwn(modal["blocks"])
    assert "<https://desk.example/console/drafts/7|open in the console>" in text
    assert ">First &lt;one&gt;" in text and ">Second" in text
    assert "<https://desk.example/kb/articles/shipping|Shipping &lt;fast&gt; &amp; free> " \
        "(revision 3)" in text
    assert "*Order 112-1234567-1234567* · Shipped" in text and "DHL" in text
    assert ":x: *return: not eligible*\nPast the 30-day window." in text
    assert ":no_entry: *no marketing or coupons* (blocks Approve)" in text
    assert "1 passed: within Amazon's length limit" in text
    assert "Confidence 74%" in text and "topic: where is my order" in text
    assert "written from the knowledge base (no AI model)" in text
    assert "buyer wrote in English" in text
    assert not [code for code in INTERNAL if code in text]


def test_a_foreign_reply_says_which_parts_are_templates_and_which_kb_text() -> None:
    german = view().reply.model_copy(
        update={
            "language": "de", "reply_language": "de",
            "untranslated_kb_text": ["Returns within 30 days."],
            "reply_sources": [
                ReplySource(text="Hallo Ana,", origin="template"),
                ReplySource(text="Ihr Paket ist mit DHL unterwegs.", origin="template"),
                ReplySource(text="Rücksendungen <30 Tage>", origin="kb",
                            article_id="returns-de", locale="de"),
                ReplySource(text="Viele Grüße", origin="template"),
            ],
        }
    )
    card = all_text(card_blocks(view(reply=german), public_url=URL))
    assert "reply in German · 1 KB passage not in German" in card
    details = mrkdwn(details_modal(view(reply=german), public_url=URL)["blocks"])
    assert "3 parts from templates, 1 quoted from the KB (returns-de)" in details
    assert "1 KB passage not in German:\n>Returns within 30 days." in details
    # An English reply is read by the agent directly: no such line.
    english = german.model_copy(update={"language": "en", "reply_language": "en",
                                        "untranslated_kb_text": []})
    assert "from templates" not in all_text(details_modal(view(reply=english), public_url=URL))
    assert "reply in" not in all_text(card_blocks(view(reply=english), public_url=URL))


# --- the size of a typical card --------------------------------------------------------

CHECK_IDS = [
    "compliance.no_links", "compliance.no_email", "compliance.no_phone",
    "compliance.no_marketing", "compliance.no_review_manipulation", "compliance.no_emoji",
    "compliance.no_html", "compliance.max_length", "tone.greeting", "tone.no_non_apology",
    "tone.no_unfortunately_opening", "tone.no_policy_citing", "tone.no_blame",
    "tone.acknowledgement", "tone.next_step", "tone.readability", "grounding.figures_supported",
    "privacy.no_foreign_contact", "privacy.no_foreign_order_id", "privacy.no_instruction_leak",
    "policy.no_overpromise", "policy.deadline_matches", "consistency.no_repeat_request",
    "consistency.one_deadline",
]
BUYER = (
    "Hello, my lamp arrived today and the shade is cracked right through. The box looked fine "
    "from the outside. I'd like to return it or get a new one, what do I do? "
    "Order 112-3456789-1234567. Thanks, Maria"
)
REPLY = (
    "Hi Maria,\n\nI'm sorry the lamp arrived with a cracked shade, that is not how it should "
    "reach you. Your order 112-3456789-1234567 was delivered on 24 February, so it is well "
    "within our 30-day return window.\n\nYou can return it free of charge: open Your Orders "
    "on Amazon, choose \"Return or replace items\" and select \"Damaged in transit\". Once the "
    "carrier scans the parcel, your refund of the full price goes back to your original "
    "payment method within 3-5 business days.\n\nIf you would rather have a replacement, "
    "reply to this message and we will send one out the same day.\n\nBest regards,\n"
    "The Brightwater Home team"
)


def typical() -> CardView:
    """A pending draft as the offline composer writes them: 24 passing checks, two sources,
    an order with two items and two policy decisions."""
    reply = DraftReply(
        text=REPLY, handoff=False, confidence=0.87, intents=["damaged_item", "return_request"],
        language="en", sentiment="negative", composer="offline",
        citations=[
            Citation(article_id="returns-policy", revision=4, title="Returns and refunds",
                     chunk_id="returns-policy:4:0"),
            Citation(article_id="damaged-items", revision=2, title="Items damaged in transit",
                     chunk_id="damaged-items:2:1"),
        ],
        checks=[CheckResult(id=c, severity="warn" if c.startswith("tone.") else "block",
                            passed=True, message="ok") for c in CHECK_IDS],
        order=OrderFacts(
            order_id="112-3456789-1234567", status="Delivered", purchase_date=date(2026, 2, 18),
            shipped_at=date(2026, 2, 19), estimated_delivery=date(2026, 2, 24),
            delivered_at=date(2026, 2, 24), carrier="UPS", tracking_number="1Z999AA10123456784",
            items=[OrderItemFacts(sku="LMP-204", title="Ceramic table lamp, sage green"),
                   OrderItemFacts(sku="BLB-E27", title="LED bulb E27 warm white (2-pack)")],
        ),
        verdicts=[
            PolicyVerdict(kind="return", eligible=True, text="Within the 30-day return window."),
            PolicyVerdict(kind="refund", eligible=True,
                          text="Full refund to the original payment method after the scan."),
        ],
    )
    return CardView(
        draft_id=42, conversation_id="6f1c2a9e4b7d4e0f9a3c5b8d7e6f1a2b", buyer_name="Maria Lopez",
        buyer_messages=[BUYER], reply=reply, due_at=NOW + timedelta(hours=13),
        status="pending_review",
    )


def test_a_typical_card_is_short() -> None:
    """Before issue 18 this draft made a 10-block card: 1,832 characters of text, 947 of
    them around the buyer's message and the draft (3,169 as JSON). Now it is 4 blocks with
    288 characters of mrkdwn around them (the context line), plus the button labels and
    the Approve confirmation, which Slack shows only on a click."""
    blocks = card_blocks(typical(), public_url="https://desk.example")
    assert len(blocks) == 4
    own = len(BUYER) + len(REPLY)
    assert sum(len(t) for t in texts(blocks, kinds=("mrkdwn",))) - own <= 320
    assert sum(len(t) for t in texts(blocks)) - own <= 520
    assert len(json.dumps(blocks, ensure_ascii=False)) <= 2500
    # The details are one click away, not lost.
    details = mrkdwn(details_modal(typical(), public_url="https://desk.example")["blocks"])
    assert "24 passed" in details and "1Z999AA10123456784" in details
    assert "*refund: eligible*" in details
