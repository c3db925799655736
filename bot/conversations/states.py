"""The approval state machine (ARCHITECTURE §2) — every status and every allowed move.

A buyer message travels ``awaiting_draft → drafted → answered`` (or ``no_response_needed``);
drafting that keeps failing parks it in ``needs_manual_reply`` for a person. A draft starts
``pending_review`` and is decided exactly once::

    pending_review ─▶ sent                  (approved, possibly edited)
                   ├▶ rejected              (a person writes the reply or closes)
                   ├▶ escalated ─▶ sent | rejected | no_response_needed   (a lead decides)
                   ├▶ no_response_needed
                   └▶ superseded            (the buyer wrote again before a decision)

Repositories enforce the moves with conditional UPDATEs (``WHERE status IN (...)``) built
from :func:`decidable_statuses`, so two people deciding at once produce one outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class MessageRole(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    SYSTEM = "system"


class MessageStatus(StrEnum):
    """Status of a message; seller and system messages are ``sent`` when stored."""

    AWAITING_DRAFT = "awaiting_draft"
    DRAFTED = "drafted"
    NEEDS_MANUAL_REPLY = "needs_manual_reply"
    ANSWERED = "answered"
    NO_RESPONSE_NEEDED = "no_response_needed"
    SENT = "sent"


class DraftStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    ESCALATED = "escalated"
    SENT = "sent"
    REJECTED = "rejected"
    NO_RESPONSE_NEEDED = "no_response_needed"
    SUPERSEDED = "superseded"


class Decision(StrEnum):
    """What a person can decide about a draft."""

    APPROVE = "approve"
    REJECT = "reject"
    ESCALATE = "escalate"
    NO_RESPONSE_NEEDED = "no_response_needed"


class ConversationState(StrEnum):
    """``awaiting_reply`` while any buyer message is unanswered, else ``answered``."""

    NEW = "new"
    AWAITING_REPLY = "awaiting_reply"
    ANSWERED = "answered"


# Buyer messages that still owe the buyer a reply (the 24-hour clock is running).
UNANSWERED: frozenset[MessageStatus] = frozenset(
    {MessageStatus.AWAITING_DRAFT, MessageStatus.DRAFTED, MessageStatus.NEEDS_MANUAL_REPLY}
)

# Drafts a person may still act on; anything else has been decided (or superseded).
OPEN_DRAFTS: frozenset[DraftStatus] = frozenset(
    {DraftStatus.PENDING_REVIEW, DraftStatus.ESCALATED}
)

DRAFT_TRANSITIONS: dict[DraftStatus, frozenset[DraftStatus]] = {
    DraftStatus.PENDING_REVIEW: frozenset(
        {
            DraftStatus.SENT,
            DraftStatus.REJECTED,
            DraftStatus.ESCALATED,
            DraftStatus.NO_RESPONSE_NEEDED,
            DraftStatus.SUPERSEDED,
        }
    ),
    DraftStatus.ESCALATED: frozenset(
        {
            DraftStatus.SENT,
            DraftStatus.REJECTED,
            DraftStatus.NO_RESPONSE_NEEDED,
            DraftStatus.SUPERSEDED,
        }
    ),
}

DECISION_OUTCOME: dict[Decision, DraftStatus] = {
    Decision.APPROVE: DraftStatus.SENT,
    Decision.REJECT: DraftStatus.REJECTED,
    Decision.ESCALATE: DraftStatus.ESCALATED,
    Decision.NO_RESPONSE_NEEDED: DraftStatus.NO_RESPONSE_NEEDED,
}

# What a decision does to the buyer messages the draft answered.
MESSAGES_AFTER_DECISION: dict[Decision, MessageStatus] = {
    Decision.APPROVE: MessageStatus.ANSWERED,
    # A rejected draft still owes the buyer a reply: a person writes it (or closes).
    Decision.REJECT: MessageStatus.NEEDS_MANUAL_REPLY,
    Decision.ESCALATE: MessageStatus.DRAFTED,
    Decision.NO_RESPONSE_NEEDED: MessageStatus.NO_RESPONSE_NEEDED,
}


def can_transition(current: DraftStatus, target: DraftStatus) -> bool:
    """True when a draft may move from ``current`` to ``target``."""
    return target in DRAFT_TRANSITIONS.get(current, frozenset())


def decidable_statuses(decision: Decision, *, may_decide_escalated: bool) -> frozenset[DraftStatus]:
    """The statuses from which ``decision`` is allowed for this decider.

    Escalated drafts wait for a lead: only deciders with ``may_decide_escalated`` act on
    them, and escalating twice is not a decision at all.
    """
    target = DECISION_OUTCOME[decision]
    sources = {s for s, targets in DRAFT_TRANSITIONS.items() if target in targets}
    if not may_decide_escalated or decision is Decision.ESCALATE:
        sources.discard(DraftStatus.ESCALATED)
    return frozenset(sources)


def is_decided(status: DraftStatus) -> bool:
    """True once a person (or a newer buyer message) has settled the draft."""
    return status not in OPEN_DRAFTS


def conversation_state(buyer_statuses: Iterable[MessageStatus]) -> ConversationState:
    """Derive a conversation's state from the statuses of its buyer messages."""
    statuses = list(buyer_statuses)
    if not statuses:
        return ConversationState.NEW
    if any(s in UNANSWERED for s in statuses):
        return ConversationState.AWAITING_REPLY
    return ConversationState.ANSWERED
