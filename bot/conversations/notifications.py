"""Who hears about drafts: notifiers (Slack, the console's live feed) called after commit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)


@runtime_checkable
class ReviewNotifier(Protocol):
    """Told about drafts after the transaction that changed them has committed.

    Implementations read what they need by id (``Workflow.get_draft``) and must be quick or
    hand work to their own thread: they run on the worker's or the request's thread.
    """

    def draft_ready(self, draft_id: int) -> None:
        """A new draft waits for review."""
        ...

    def draft_decided(self, draft_id: int) -> None:
        """A draft was approved, rejected, escalated, marked no-response or superseded."""
        ...


def notify_draft_ready(notifiers: Sequence[ReviewNotifier], draft_id: int) -> None:
    """Call every notifier; one failing notifier never blocks the others or the workflow."""
    for notifier in list(notifiers):
        try:
            notifier.draft_ready(draft_id)
        except Exception:  # a notifier outage must not undo a committed draft
            log.exception("notifier %r failed on draft_ready(%s)", notifier, draft_id)


def notify_draft_decided(notifiers: Sequence[ReviewNotifier], draft_id: int) -> None:
    """Call every notifier after a decision (see :func:`notify_draft_ready`)."""
    for notifier in list(notifiers):
        try:
            notifier.draft_decided(draft_id)
        except Exception:  # a notifier outage must not undo a committed decision
            log.exception("notifier %r failed on draft_decided(%s)", notifier, draft_id)
