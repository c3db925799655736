"""Errors of the workflow, each with a stable ``code`` and the HTTP status a surface should use.

::

    WorkflowError
     ├── InvalidMessage            422  message_empty | message_too_long |
     │                                  message_control_characters | invalid_locale
     ├── ConversationNotFound      404  conversation_not_found
     ├── DraftNotFound             404  draft_not_found
     ├── DraftAlreadyDecided       409  draft_already_decided
     ├── DraftSuperseded           409  draft_superseded
     ├── DraftEscalated            403  draft_escalated_to_lead
     ├── BlockedByChecks           422  blocked_by_checks
     │   └── OverrideNotAllowed    403  override_requires_lead
     ├── NothingToAnswer           409  nothing_to_answer
     ├── IdempotencyConflict       409  idempotency_key_reused | idempotency_key_in_progress
     ├── InvalidDecision           422  reason_required | ...
     ├── OrderNotVerified          422  order_not_verified (unknown order or wrong name)
     └── TooManyVerifications      429  too_many_verification_attempts
"""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class WorkflowError(DraftdeskError):
    """Base error of the workflow; ``code`` is stable and ``message`` safe to show."""

    code = "workflow_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidMessage(WorkflowError):
    code = "invalid_message"
    status = 422


class ConversationNotFound(WorkflowError):
    code = "conversation_not_found"
    status = 404


class DraftNotFound(WorkflowError):
    code = "draft_not_found"
    status = 404


class DraftAlreadyDecided(WorkflowError):
    code = "draft_already_decided"
    status = 409


class DraftSuperseded(WorkflowError):
    """The buyer wrote again; a newer draft answers everything."""

    code = "draft_superseded"
    status = 409


class DraftEscalated(WorkflowError):
    """The draft waits for a lead; an agent cannot decide it."""

    code = "draft_escalated_to_lead"
    status = 403


class BlockedByChecks(WorkflowError):
    """A blocking reply check failed and no override reason was given."""

    code = "blocked_by_checks"
    status = 422

    def __init__(
        self, message: str, *, check_ids: list[str], problems: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.check_ids = check_ids
        # What each failed check found in the text ("25% is not in the cited articles…"),
        # in the order of ``check_ids``: agents see which sentence or figure to fix.
        self.problems = problems or []


class OverrideNotAllowed(BlockedByChecks):
    """An agent tried to send despite a failed blocking check: only leads override."""

    code = "override_requires_lead"
    status = 403


class NothingToAnswer(WorkflowError):
    code = "nothing_to_answer"
    status = 409


class IdempotencyConflict(WorkflowError):
    """An ``Idempotency-Key`` already used with another request, or still in progress."""

    code = "idempotency_key_reused"
    status = 409


class InvalidDecision(WorkflowError):
    code = "invalid_decision"
    status = 422


class OrderNotVerified(WorkflowError):
    """The order id and last name do not match an order (the same for an unknown order)."""

    code = "order_not_verified"
    status = 422


class TooManyVerifications(WorkflowError):
    """Too many failed order verifications on this conversation: try again later."""

    code = "too_many_verification_attempts"
    status = 429
