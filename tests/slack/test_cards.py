"""The card and modal builders (pure functions): content, escaping and Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.facts import (
    CheckResult,
    Citation,
    DraftReply,
    OrderFacts,
    PolicyVerdict,
    ReplySource,
)
from bot.slack.cards import (
    ACTION_IDS,
    CardView,
    card_blocks,
    card_text,
    decision_line,
    escape,
    quote,
    time_left,
)
from bot.slack.modals import edit_modal, reject_modal

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def view(**changes: object) -> CardView:
    reply = DraftReply(
        text="Hi Ana,\nyour <order> & parcel ships today.", handoff=False, confidence=0.74,
        intents=["where_is_my_order"],
        citations=[Citation(article_id="shipping", revision=3, title="Shipping <fast> & free",
                            chunk_id="shipping:3:0")],
        checks=[
            CheckResult(id="no_marketing", severity="block", passed=False, message="coupon"),
            CheckResult(id="greeting", severity="warn", passed=False, message="no greeting"),
            CheckResult(id="length", severity="warn", passed=True, message="ok"),
        ],
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


def all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_markup_is_escaped_and_messages_quoted() -> None:
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert quote("one\ntwo <x>") == ">one\n>two &lt;x&gt;"
    blocks = card_blocks(view(), public_url="https://desk.example/", now=NOW)
    # plain_text (the header) is shown literally; only mrkdwn needs escaping.
    text = all_text([b for b in blocks if b["type"] != "header"])
    assert "<b>" not in text and "<now>" not in text and "<order>" not in text
    assert ">Order 112-1234567-1234567 &lt;now&gt;" in text


def test_the_card_carries_everything_needed_to_decide() -> None:
    blocks = card_blocks(view(), public_url="https://desk.example/", now=NOW)
    text = all_text(blocks)
    assert "<https://desk.example/kb/articles/shipping|Shipping &lt;fast&gt; &amp; free>" in text
    assert "0.74" in text and "where_is_my_order" in text
    assert "112-1234567-1234567" in text and "DHL" in text
    assert ":x: *return*: Past the 30-day window." in text
    assert ":no_entry: *BLOCKING* `no_marketing`" in text
    assert ":warning: `greeting`" in text and "`length`" not in text
    assert "13 h 05 min left" in text
    [actions] = [b for b in blocks if b["type"] == "actions"]
    elements = actions["elements"]
    assert [e["action_id"] for e in elements] == list(ACTION_IDS)
    assert {e["value"] for e in elements} == {"7"}


def test_slack_limits_are_respected_for_long_texts() -> None:
    long = view(buyer_messages=["word " * 2000],
                reply=view().reply.model_copy(update={"text": "reply " * 2000}))
    blocks = card_blocks(long, public_url="https://desk.example", now=NOW)
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    assert "truncated" in all_text(blocks)


def test_a_decided_card_says_who_decided_what_and_when_without_buttons() -> None:
    decided = view(status="sent", decided_by="slack:U1", decided_at=NOW,
                   final_text="Hi Ana, edited.")
    blocks = card_blocks(decided, public_url="https://desk.example", now=NOW)
    assert not [b for b in blocks if b["type"] == "actions"]
    line = decision_line(decided)
    assert "Edited, approved and sent" in line and "<@U1>" in line
    assert f"<!date^{int(NOW.timestamp())}^" in line
    assert "Sent reply (edited)" in all_text(blocks) and "Hi Ana, edited." in all_text(blocks)
    rejected = view(status="rejected", decided_by="lead@example.com", decided_at=NOW,
                    decision_note="wrong <order>")
    assert "Rejected* by lead@example.com" in decision_line(rejected)
    assert ">wrong &lt;order&gt;" in decision_line(rejected)
    assert "Superseded" in decision_line(view(status="superseded"))
    assert card_text(rejected) == "Draft #7 to Ana <b>: rejected"


def test_time_left_and_overdue() -> None:
    due = NOW + timedelta(hours=2, minutes=3)
    assert time_left(due, NOW) == "2 h 03 min left"
    assert time_left(NOW - timedelta(minutes=90), NOW) == "overdue by 1 h 30 min"


def test_modals_fit_slack_and_carry_the_draft_id() -> None:
    for modal in (edit_modal(view()), reject_modal(view())):
        assert len(modal["title"]["text"]) <= 24
        assert modal["private_metadata"] == "7"
    assert edit_modal(view())["blocks"][-1]["element"]["initial_value"] == view().reply.text


def test_a_foreign_reply_says_which_parts_are_templates_and_which_kb_text() -> None:
    german = view().reply.model_copy(
        update={
            "language": "de", "reply_language": "de",
            "reply_sources": [
                ReplySource(text="Hallo Ana,", origin="template"),
                ReplySource(text="Ihr Paket ist mit DHL unterwegs.", origin="template"),
                ReplySource(text="Rücksendungen <30 Tage>", origin="kb",
                            article_id="returns-de", locale="de"),
                ReplySource(text="Viele Grüße", origin="template"),
            ],
        }
    )
    text = all_text(card_blocks(view(reply=german), public_url="https://x/", now=NOW))
    assert "3 parts from templates, 1 quoted from the KB (returns-de)" in text
    # An English reply is read by the agent directly: no such line.
    english = german.model_copy(update={"language": "en", "reply_language": "en"})
    text = all_text(card_blocks(view(reply=english), public_url="https://x/", now=NOW))
    assert "from templates" not in text
