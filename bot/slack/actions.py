"""Decisions taken in Slack, applied through the workflow exactly once.

Each click or modal submission becomes a :class:`SlackDecision` keyed by the payload
(``action_ts`` of a click, the view id of a submission). It is recorded in the
``slack_actions`` inbox first — a payload Slack delivers again finds its key taken and is
dropped — and then applied with the same :class:`~bot.conversations.service.Workflow`
methods the console uses, with the actor ``slack:<user id>``. The workflow's conditional
updates make a second click (a new key) fail with ``draft_already_decided``, which the
user is told about in an ephemeral message. Actions interrupted by a crash or a database
hiccup stay in the inbox and are resumed by the scheduler.

A reply the mail server refused for good (the Amazon inbox) shows on its draft's card with
a "Retry sending" button; the click is recorded and applied like a decision, with the same
retry as ``draftdesk mail retry`` and the console. The scheduler's pass over the actions
also brings such cards in line with their replies (refused, sending again, delivered).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations import labels
from bot.conversations.errors import (
    BlockedByChecks,
    DraftAlreadyDecided,
    DraftNotFound,
    WorkflowError,
)
from bot.conversations.schemas import DecisionOutcome
from bot.conversations.service import Workflow
from bot.events import AGENTS_TOPIC
from bot.mail import repository as mail_repo
from bot.mail.errors import MailError
from bot.mail.models import OutboundMail
from bot.mail.smtp import retry_sending
from bot.mail.views import Delivery, delivery_of, failed_deliveries
from bot.slack import repository as slack_repo
from bot.slack.approvers import ApproverDirectory
from bot.slack.cards import (
    CardView,
    DeliveryNotice,
    card_blocks,
    card_text,
    decision_line,
    escape,
    is_open,
    quote,
)
from bot.slack.client import SlackWebApi
from bot.slack.details import details_modal
from bot.slack.errors import SlackCallFailed
from bot.slack.modals import can_edit_in_slack, edit_modal, reject_modal
from bot.slack.publisher import CardPublisher
from knowledge_base.clock import Clock, utcnow
from knowledge_base.db import transaction

log = logging.getLogger(__name__)

APPROVE, REJECT, ESCALATE, NO_RESPONSE = "approve", "reject", "escalate", "no_response_needed"
RETRY_SENDING = "retry_sending"
MAX_ATTEMPTS = 5
# Refused replies of the last days are shown on their cards (after a restart too).
DELIVERY_WINDOW = timedelta(days=7)
NOT_AN_APPROVER = (
    "Only approvers can decide drafts here, so nothing was changed. An admin can add you "
    "to DRAFTDESK_SLACK_APPROVERS (a user id or a user group)."
)


@dataclass(frozen=True)
class SlackDecision:
    """One decision as Slack delivered it; ``key`` identifies the payload."""

    key: str
    draft_id: int
    user_id: str
    decision: str
    text: str | None = None  # the edited reply (approve) or the reason (reject)
    channel: str | None = None
    thread_ts: str | None = None

    @property
    def actor(self) -> str:
        return f"slack:{self.user_id}"


@dataclass(kw_only=True)
class SlackActions:
    """Turns clicks and submissions into workflow decisions, explaining refusals."""

    workflow: Workflow
    api: SlackWebApi
    approvers: ApproverDirectory
    publisher: CardPublisher
    session_factory: sessionmaker[Session]
    console_url: str
    clock: Clock = utcnow
    # Replies by e-mail whose state this process last showed on their cards
    # (outbox id → (draft id, what the card shows)); forgotten once delivered.
    _deliveries_shown: dict[int, tuple[int, str]] = field(
        default_factory=dict, init=False, repr=False
    )
    _deliveries_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # --- telling people ------------------------------------------------------------------

    def tell(
        self, *, user_id: str, channel: str | None, text: str, thread_ts: str | None = None
    ) -> None:
        """An ephemeral note to one user (best effort: the state of record is unaffected)."""
        if not channel:
            log.warning("no channel to tell %s: %s", user_id, text)
            return
        try:
            self.api.post_ephemeral(channel=channel, user=user_id, text=text, thread_ts=thread_ts)
        except SlackCallFailed as exc:
            log.warning("could not tell %s (%s): %s", user_id, exc.code, text)

    def allowed(self, *, user_id: str, channel: str | None, thread_ts: str | None) -> bool:
        """True for approvers; anyone else is told why nothing happened."""
        if self.approvers.is_approver(user_id):
            return True
        self.tell(user_id=user_id, channel=channel, text=NOT_AN_APPROVER, thread_ts=thread_ts)
        return False

    def where_is_card(self, draft_id: int) -> tuple[str | None, str | None]:
        """The card's channel and thread (for answering a modal submission)."""
        with transaction(self.session_factory) as session:
            card = slack_repo.get_card(session, draft_id=draft_id)
            if card is None:
                return self.publisher.channel, None
            return card.channel, card.thread_ts

    # --- modals --------------------------------------------------------------------------

    def closed_reason(self, view: CardView | None) -> str | None:
        """Why a draft can no longer be decided here (None while it is open)."""
        if view is None:
            return "This draft no longer exists."
        if is_open(view.status):
            return None
        return f"Draft #{view.draft_id} is already decided: {decision_line(view)}"

    def open_modal(
        self,
        *,
        kind: str,
        trigger_id: str,
        draft_id: int,
        user_id: str,
        channel: str | None,
        thread_ts: str | None,
    ) -> None:
        """Open the edit (prefilled) or reject (reason) modal for an open draft."""
        view = self.publisher.load(draft_id)
        reason = self.closed_reason(view)
        if reason is not None or view is None:
            self.tell(
                user_id=user_id,
                channel=channel,
                thread_ts=thread_ts,
                text=reason or "This draft no longer exists.",
            )
            return
        if kind == "edit" and not can_edit_in_slack(view.reply.text):
            self.tell(
                user_id=user_id,
                channel=channel,
                thread_ts=thread_ts,
                text=f"This draft is too long to edit in Slack: edit it in the "
                f"<{self.console_url}|console>.",
            )
            return
        modal = edit_modal(view) if kind == "edit" else reject_modal(view)
        try:
            self.api.open_view(trigger_id=trigger_id, view=modal)
        except SlackCallFailed as exc:
            log.warning("could not open the %s modal (%s)", kind, exc.code)
            self.tell(
                user_id=user_id,
                channel=channel,
                thread_ts=thread_ts,
                text="Slack did not open the form in time; please click again.",
            )

    def open_details(
        self, *, trigger_id: str, draft_id: int, user_id: str, channel: str | None,
        thread_ts: str | None,
    ) -> None:
        """Open the read-only Details modal (any status: it decides nothing)."""
        view = self.publisher.load(draft_id)
        if view is None:
            self.tell(user_id=user_id, channel=channel, thread_ts=thread_ts,
                      text="This draft no longer exists.")
            return
        try:
            self.api.open_view(
                trigger_id=trigger_id,
                view=details_modal(view, public_url=self.publisher.public_url),
            )
        except SlackCallFailed as exc:
            log.warning("could not open the details modal (%s)", exc.code)
            self.tell(user_id=user_id, channel=channel, thread_ts=thread_ts,
                      text="Slack did not open the details in time; please click again.")

    # --- decisions -----------------------------------------------------------------------

    def submit(self, decision: SlackDecision) -> str:
        """Record the decision (once per payload) and apply it; returns the outcome code."""
        with transaction(self.session_factory) as session:
            fresh = slack_repo.record_action(
                session,
                key=decision.key,
                draft_id=decision.draft_id,
                user_id=decision.user_id,
                decision=decision.decision,
                text=decision.text,
                channel=decision.channel,
                now=self.clock(),
            )
        if not fresh:
            log.info("slack payload %s delivered again; ignored", decision.key)
            return "duplicate"
        return self.apply(decision)

    def apply(self, decision: SlackDecision, *, resumed: bool = False) -> str:
        """Apply a recorded decision if nobody else is applying it."""
        with transaction(self.session_factory) as session:
            if not slack_repo.claim_action(session, key=decision.key):
                return "busy"
        try:
            outcome = self._decide(decision)
        except (WorkflowError, MailError) as exc:
            self._finish(decision.key, status="done", outcome=exc.code)
            if not (resumed and self._decided_by_this(decision)):
                self._explain(decision, exc)
            return exc.code
        except SQLAlchemyError:
            log.exception("slack decision %s not applied yet; will retry", decision.key)
            with transaction(self.session_factory) as session:
                slack_repo.reopen_action(session, key=decision.key)
            return "retry"
        self._finish(decision.key, status="done", outcome=outcome.status)
        if decision.decision == RETRY_SENDING:
            self.show_delivery(decision.draft_id, retried_by=decision.actor)
        return outcome.status

    def _decide(self, decision: SlackDecision) -> DecisionOutcome:
        draft_id, actor = decision.draft_id, decision.actor
        if decision.decision == APPROVE:
            return self.workflow.approve(draft_id=draft_id, actor=actor, text=decision.text)
        if decision.decision == REJECT:
            return self.workflow.reject(draft_id=draft_id, actor=actor, reason=decision.text or "")
        if decision.decision == ESCALATE:
            return self.workflow.escalate(draft_id=draft_id, actor=actor)
        if decision.decision == NO_RESPONSE:
            return self.workflow.no_response_needed(draft_id=draft_id, actor=actor)
        if decision.decision == RETRY_SENDING:
            return self._retry_sending(draft_id=draft_id, actor=actor)
        raise ValueError(f"unknown decision {decision.decision!r}")

    def _retry_sending(self, *, draft_id: int, actor: str) -> DecisionOutcome:
        """Queue the draft's refused reply again (MailNotFound, NothingToRetry otherwise)."""
        outcome = retry_sending(
            self.session_factory, actor=actor, draft_id=draft_id, now=self.clock()
        )
        if outcome.queued:  # consoles refresh; the sender finds the row on its next pass
            self.workflow.ctx.publish(
                topic=AGENTS_TOPIC,
                type="conversation_updated",
                data={
                    "conversation_id": outcome.conversation_id,
                    "draft_id": draft_id,
                    "outbox_id": outcome.outbound_id,
                    "mail_retry": True,
                },
            )
        return DecisionOutcome(
            draft_id=draft_id, status="retry_queued" if outcome.queued else "retry_waiting"
        )

    def _finish(self, key: str, *, status: str, outcome: str) -> None:
        with transaction(self.session_factory) as session:
            slack_repo.finish_action(
                session, key=key, status=status, outcome=outcome, now=self.clock()
            )

    def _decided_by_this(self, decision: SlackDecision) -> bool:
        view = self.publisher.load(decision.draft_id)
        return view is not None and view.decided_by == decision.actor

    def _explain(self, decision: SlackDecision, exc: WorkflowError | MailError) -> None:
        view = self.publisher.load(decision.draft_id)
        if isinstance(exc, MailError):
            text = f"Nothing sent again: {escape(exc.message)}."
        elif isinstance(exc, DraftAlreadyDecided | DraftNotFound):
            text = self.closed_reason(view) or f"Nothing changed: {exc.message}."
        elif isinstance(exc, BlockedByChecks):
            names = ", ".join(f"*{escape(labels.check_label(c))}*" for c in exc.check_ids)
            found = "".join(f"\n• {escape(problem)}" for problem in exc.problems if problem)
            text = (
                f"Not sent: the check {names} failed.{found}\nUse *Edit* to fix the "
                f"text, or approve with an override reason in the "
                f"<{self.console_url}|console>."
            )
            if decision.text:
                text += f"\nYour edited text, so it is not lost:\n{quote(decision.text)}"
        else:
            text = f"Nothing changed: {escape(exc.message)}."
        self.tell(
            user_id=decision.user_id,
            channel=decision.channel,
            text=text,
            thread_ts=decision.thread_ts,
        )

    def resume_stalled(self, now: datetime, *, older_than_seconds: float = 300.0) -> int:
        """Apply decisions recorded but never finished (a crash or a database outage)."""
        with transaction(self.session_factory) as session:
            keys = slack_repo.stalled_actions(
                session, created_before=now - timedelta(seconds=older_than_seconds)
            )
        resumed = 0
        for key in keys:
            with transaction(self.session_factory) as session:
                row = slack_repo.get_action(session, key=key)
                if row is None:
                    continue
                slack_repo.reopen_action(session, key=key)
                decision = SlackDecision(
                    key=row.key,
                    draft_id=row.draft_id,
                    user_id=row.user_id,
                    decision=row.decision,
                    text=row.text,
                    channel=row.channel,
                )
                gave_up = row.attempts >= MAX_ATTEMPTS
                if gave_up:
                    slack_repo.finish_action(
                        session, key=key, status="failed", outcome="gave_up", now=now
                    )
            if gave_up:
                self.tell(
                    user_id=decision.user_id,
                    channel=decision.channel,
                    text=f"Your decision on draft #{decision.draft_id} could not be "
                    f"applied; please decide it in the <{self.console_url}|console>.",
                )
                continue
            self.apply(decision, resumed=True)
            resumed += 1
        try:
            self.sync_deliveries(now)
        except SQLAlchemyError:
            log.exception("could not bring the cards of refused replies up to date")
        return resumed

    # --- replies by e-mail ------------------------------------------------------------------

    def sync_deliveries(self, now: datetime) -> int:
        """Show on their cards the replies the mail server refused lately, and how the ones
        shown fared since (sending again, delivered); returns how many cards changed.

        Runs with the scheduler's pass over the actions, so refusals recorded by any
        process (the worker's sender, ``draftdesk mail send``) reach the cards.
        """
        with transaction(self.session_factory) as session:
            candidates = {
                d.outbound_id: d
                for d in failed_deliveries(session, created_after=now - DELIVERY_WINDOW, limit=50)
            }
            with self._deliveries_lock:
                shown = dict(self._deliveries_shown)
            for outbound_id in shown.keys() - candidates.keys():
                row = session.get(OutboundMail, outbound_id)
                if row is not None and row.status != "failed":
                    candidates[outbound_id] = delivery_of(row)
                else:  # gone, or refused too long ago: no longer watched
                    self._forget_delivery(outbound_id)
        changed = 0
        for delivery in candidates.values():
            if delivery.draft_id is None:
                continue  # a reply written in the console has no card
            previous = shown.get(delivery.outbound_id)
            if previous is not None and previous[1] == _shown_state(delivery):
                continue
            changed += self.show_delivery(delivery.draft_id) == "updated"
        return changed

    def _remember_delivery(self, delivery: Delivery, state: str) -> None:
        if state == "sent":
            self._forget_delivery(delivery.outbound_id)
            return
        assert delivery.draft_id is not None
        with self._deliveries_lock:
            self._deliveries_shown[delivery.outbound_id] = (delivery.draft_id, state)

    def show_delivery(self, draft_id: int, *, retried_by: str | None = None) -> str:
        """Update the card of ``draft_id`` with how its reply by e-mail fared (chat.update
        through the publisher's Web API client); returns what happened."""
        with transaction(self.session_factory) as session:
            row = mail_repo.outbound_of_draft(session, draft_id=draft_id)
            delivery = delivery_of(row) if row is not None else None
            card = slack_repo.get_card(session, draft_id=draft_id)
            where = (card.channel, card.ts) if card is not None and card.ts else None
        if delivery is None:
            return "no_reply_by_mail"
        view = self.publisher.load(draft_id)
        if where is None or view is None:
            # Decided before Slack showed it (no card is posted then): nothing to update.
            self._remember_delivery(delivery, _shown_state(delivery))
            return "no_card"
        notice = DeliveryNotice(
            state=_shown_state(delivery),
            to_address=delivery.to_address,
            error=delivery.last_error,
            server_reply=delivery.server_reply,
            retried_by=retried_by,
        )
        try:
            self.api.update_message(
                channel=where[0],
                ts=where[1],
                text=card_text(view, delivery=notice),
                blocks=card_blocks(view, public_url=self.publisher.public_url, delivery=notice),
            )
        except SlackCallFailed as exc:
            log.warning(
                "card of draft %s: delivery not shown (%s); retry on the next pass",
                draft_id,
                exc.code,
            )
            return "failed"
        self._remember_delivery(delivery, notice.state)
        return "updated"

    def _forget_delivery(self, outbound_id: int) -> None:
        with self._deliveries_lock:
            self._deliveries_shown.pop(outbound_id, None)


def _shown_state(delivery: Delivery) -> str:
    """What a card shows of a reply by e-mail: ``failed``, ``waiting`` or ``sent``."""
    if delivery.failed:
        return "failed"
    return "sent" if delivery.delivered else "waiting"
