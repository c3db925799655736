"""The two modals: edit-then-approve (prefilled with the draft) and reject-with-reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.slack.cards import CardView, clip, quote

EDIT_CALLBACK = "draft_edit_submit"
REJECT_CALLBACK = "draft_reject_submit"
TEXT_BLOCK = "reply"
REASON_BLOCK = "reason"
INPUT_ACTION = "text"
# Slack's plain_text_input holds at most 3000 characters; longer drafts are edited in the
# console rather than silently truncated here (an approved text must be the full text).
INPUT_LIMIT = 3000

View = dict[str, Any]


def can_edit_in_slack(text: str) -> bool:
    """True when the draft fits Slack's text input unshortened."""
    return len(text) <= INPUT_LIMIT


def _context(card: CardView) -> dict[str, Any]:
    buyer_text = "\n\n".join(card.buyer_messages)
    text = f"*{card.buyer}* wrote:\n{quote(clip(buyer_text, 2500))}"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def edit_modal(card: CardView) -> View:
    """A modal prefilled with the draft; submitting it approves the edited text."""
    return {
        "type": "modal",
        "callback_id": EDIT_CALLBACK,
        "private_metadata": str(card.draft_id),
        "title": {"type": "plain_text", "text": "Edit and approve"},
        "submit": {"type": "plain_text", "text": "Approve and send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _context(card),
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": {"type": "plain_text", "text": "Reply to the buyer"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_ACTION,
                    "multiline": True,
                    "initial_value": card.reply.text,
                    "max_length": INPUT_LIMIT,
                },
            },
        ],
    }


def reject_modal(card: CardView) -> View:
    """A modal asking why the draft is rejected (the reason is kept in the review trail)."""
    return {
        "type": "modal",
        "callback_id": REJECT_CALLBACK,
        "private_metadata": str(card.draft_id),
        "title": {"type": "plain_text", "text": "Reject draft"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _context(card),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Why is this draft wrong?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_ACTION,
                    "multiline": True,
                    "max_length": 1000,
                },
            },
        ],
    }


def submitted_text(view: Mapping[str, Any], block_id: str) -> str:
    """The text a user typed into ``block_id`` of a submitted modal ("" when absent)."""
    values = view.get("state", {}).get("values", {})
    value = values.get(block_id, {}).get(INPUT_ACTION, {}).get("value")
    return str(value or "").strip()
