"""The approval state machine (bot.conversations.states) and input cleaning."""

from __future__ import annotations

import pytest

from bot.conversations.context import validate_message_text
from bot.conversations.errors import InvalidMessage
from bot.conversations.states import (
    DRAFT_TRANSITIONS,
    ConversationState,
    Decision,
    DraftStatus,
    MessageStatus,
    can_transition,
    conversation_state,
    decidable_statuses,
    is_decided,
)


def test_only_pending_and_escalated_drafts_can_move() -> None:
    assert set(DRAFT_TRANSITIONS) == {DraftStatus.PENDING_REVIEW, DraftStatus.ESCALATED}
    for final in (DraftStatus.SENT, DraftStatus.REJECTED, DraftStatus.NO_RESPONSE_NEEDED,
                  DraftStatus.SUPERSEDED):
        assert is_decided(final)
        assert not any(can_transition(final, target) for target in DraftStatus)


def test_escalation_is_not_repeatable_and_waits_for_a_lead() -> None:
    assert can_transition(DraftStatus.PENDING_REVIEW, DraftStatus.ESCALATED)
    assert not can_transition(DraftStatus.ESCALATED, DraftStatus.ESCALATED)
    agent = decidable_statuses(Decision.APPROVE, may_decide_escalated=False)
    lead = decidable_statuses(Decision.APPROVE, may_decide_escalated=True)
    assert agent == {DraftStatus.PENDING_REVIEW}
    assert lead == {DraftStatus.PENDING_REVIEW, DraftStatus.ESCALATED}
    assert decidable_statuses(Decision.ESCALATE, may_decide_escalated=True) == {
        DraftStatus.PENDING_REVIEW
    }


@pytest.mark.parametrize("decision", list(Decision))
def test_every_decision_starts_from_an_undecided_draft(decision: Decision) -> None:
    sources = decidable_statuses(decision, may_decide_escalated=True)
    assert sources
    assert all(not is_decided(status) for status in sources)


def test_conversation_state_follows_the_buyer_messages() -> None:
    assert conversation_state([]) is ConversationState.NEW
    assert conversation_state([MessageStatus.ANSWERED, MessageStatus.AWAITING_DRAFT]) is (
        ConversationState.AWAITING_REPLY
    )
    assert conversation_state([MessageStatus.NEEDS_MANUAL_REPLY]) is (
        ConversationState.AWAITING_REPLY
    )
    assert conversation_state([MessageStatus.ANSWERED, MessageStatus.NO_RESPONSE_NEEDED]) is (
        ConversationState.ANSWERED
    )


def test_clean_text_normalises_line_breaks_and_trims() -> None:
    assert validate_message_text("  hello\r\nthere\r ", max_chars=100) == "hello\nthere"
    assert validate_message_text("tab\tkept", max_chars=100) == "tab\tkept"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "message_empty"),
        ("   \n\t ", "message_empty"),
        ("x" * 101, "message_too_long"),
        ("bell\x07", "message_control_characters"),
        ("nul\x00", "message_control_characters"),
        ("c1\x85", "message_control_characters"),
    ],
)
def test_clean_text_refuses_bad_input(text: str, code: str) -> None:
    with pytest.raises(InvalidMessage) as caught:
        validate_message_text(text, max_chars=100)
    assert caught.value.code == code
    assert caught.value.status == 422
