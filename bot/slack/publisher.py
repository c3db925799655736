"""Posting and updating review cards, with the card table as a durable outbox.

:meth:`CardPublisher.sync` brings one card in line with its draft: post it (as a thread
reply when the conversation already has a card), update it after a decision, or do
nothing. Slack calls run outside any database transaction. When Slack keeps failing the
card row remembers it and :meth:`CardPublisher.reconcile` (run by the scheduler) tries
again later; the draft stays decidable in the console all along.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.errors import DraftNotFound
from bot.conversations.schemas import DraftDetail
from bot.conversations.service import Workflow
from bot.conversations.states import DraftStatus
from bot.facts import DraftReply
from bot.slack import repository as slack_repo
from bot.slack.cards import CardView, card_blocks, card_text, is_open
from bot.slack.client import SlackWebApi
from bot.slack.errors import SlackCallFailed
from knowledge_base.clock import Clock, utcnow
from knowledge_base.db import transaction

log = logging.getLogger(__name__)

SKIPPED = "skipped"  # decided before Slack ever showed it: no card is posted


def card_view_of(detail: DraftDetail) -> CardView:
    """The card's view of a draft as the workflow hands it to reviewers."""
    answered = set(detail.message_ids)
    reply = DraftReply(
        text=detail.text, handoff=detail.handoff, handoff_reason=detail.handoff_reason,
        confidence=detail.confidence, intents=detail.intents, language=detail.language,
        sentiment=detail.sentiment, citations=detail.citations, checks=detail.checks,
        composer=detail.composer, order=detail.order, verdicts=detail.verdicts,
        kb_revisions=detail.kb_revisions, reply_language=detail.reply_language,
        untranslated_kb_text=detail.untranslated_kb_text,
        reply_sources=detail.reply_sources,
    )
    return CardView(
        draft_id=detail.id, conversation_id=detail.conversation_id,
        buyer_name=detail.buyer_name,
        buyer_messages=[m.text for m in detail.thread if m.id in answered],
        reply=reply, due_at=detail.due_at, status=detail.status,
        decided_by=detail.decided_by, decided_at=detail.decided_at,
        decision_note=detail.decision_note, final_text=detail.final_text,
        final_checks=detail.final_checks, override_reason=detail.override_reason,
    )


@dataclass(kw_only=True)
class CardPublisher:
    """Keeps each draft's card in the review channel equal to the draft."""

    api: SlackWebApi
    workflow: Workflow
    session_factory: sessionmaker[Session]
    channel: str
    public_url: str
    clock: Clock = utcnow
    lease_seconds: float = 120.0
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 900.0

    def load(self, draft_id: int) -> CardView | None:
        """The draft as a card, or None when it no longer exists."""
        try:
            return card_view_of(self.workflow.get_draft(draft_id=draft_id))
        except DraftNotFound:
            return None

    def sync(self, draft_id: int) -> str:
        """Post or update the card of ``draft_id``; returns what happened (for logs, tests).

        Repeats while the draft changed under us (a decision made while posting), so the
        card ends showing the draft's latest status.
        """
        outcome = "unchanged"
        for _ in range(3):
            outcome = self._sync_once(draft_id)
            if outcome not in ("posted", "updated"):
                return outcome
            view = self.load(draft_id)
            with transaction(self.session_factory) as session:
                card = slack_repo.get_card(session, draft_id=draft_id)
                shown = card.shown_status if card is not None else None
            if view is None or view.status == shown:
                return outcome
        return outcome

    def _sync_once(self, draft_id: int) -> str:
        view = self.load(draft_id)
        if view is None:
            return "missing"
        now = self.clock()
        with transaction(self.session_factory) as session:
            card = slack_repo.claim_card(
                session, draft_id=draft_id, conversation_id=view.conversation_id,
                channel=self.channel, now=now, lease_seconds=self.lease_seconds,
            )
            if card is None:
                return "busy"
            ts, channel, shown, attempts = card.ts, card.channel, card.shown_status, card.attempts
            root = None
            if ts is None:
                root = slack_repo.thread_root(
                    session, conversation_id=view.conversation_id, channel=channel
                )
        try:
            if ts is None:
                return self._post(view, channel=channel, root=root)
            if shown != view.status:
                self.api.update_message(
                    channel=channel, ts=ts, text=card_text(view),
                    blocks=card_blocks(view, public_url=self.public_url),
                )
                self._record(draft_id, shown_status=view.status)
                return "updated"
            self._release(draft_id)
            return "unchanged"
        except SlackCallFailed as exc:
            self._failed(draft_id, attempts=attempts, error=exc)
            return "failed"
        except BaseException:
            self._release(draft_id)
            raise

    def _post(self, view: CardView, *, channel: str, root: str | None) -> str:
        if not is_open(view.status):
            self._record(view.draft_id, shown_status=SKIPPED)
            return SKIPPED
        answer = self.api.post_message(
            channel=channel, text=card_text(view), thread_ts=root,
            blocks=card_blocks(view, public_url=self.public_url),
        )
        posted_ts = str(answer.get("ts") or "")
        if not posted_ts:
            raise SlackCallFailed(
                "slack chat.postMessage answered without a ts", method="chat.postMessage",
                slack_error=None, retryable=True,
            )
        self._record(view.draft_id, shown_status=view.status, ts=posted_ts, thread_ts=root)
        return "posted"

    def _record(
        self, draft_id: int, *, shown_status: str, ts: str | None = None,
        thread_ts: str | None = None,
    ) -> None:
        with transaction(self.session_factory) as session:
            slack_repo.record_card_shown(
                session, draft_id=draft_id, shown_status=shown_status, now=self.clock(),
                ts=ts, thread_ts=thread_ts,
            )

    def _release(self, draft_id: int) -> None:
        with transaction(self.session_factory) as session:
            slack_repo.release_card(session, draft_id=draft_id)

    def _failed(self, draft_id: int, *, attempts: int, error: SlackCallFailed) -> None:
        delay = min(self.retry_max_seconds, self.retry_base_seconds * 2 ** attempts)
        now = self.clock()
        log.warning("card of draft %s not synced (%s); retry in %.0fs", draft_id, error.code, delay)
        with transaction(self.session_factory) as session:
            slack_repo.record_card_failure(
                session, draft_id=draft_id, error=f"{error.code}: {error.slack_error or ''}",
                retry_at=now + timedelta(seconds=delay), now=now,
            )

    def reconcile(self, now: datetime, *, window_hours: float = 48.0) -> dict[str, int]:
        """Post cards owed (failed posts, drafts made by other processes), update stale ones."""
        with transaction(self.session_factory) as session:
            owed = slack_repo.drafts_owed_a_card(
                session, statuses=[DraftStatus.PENDING_REVIEW.value],
                created_after=now - timedelta(hours=window_hours), now=now,
            )
            stale = slack_repo.cards_out_of_date(session, now=now)
        counts: dict[str, int] = {}
        for draft_id in dict.fromkeys([*owed, *stale]):
            outcome = self.sync(draft_id)
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts
