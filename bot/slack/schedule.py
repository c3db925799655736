"""The 24-hour clock in Slack: reminders on waiting drafts and a daily summary.

Both are plain functions of ``now`` (so tests call them with any time they like);
:class:`SlackScheduler` only calls the desk's ``tick`` every few seconds from a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.states import DraftStatus
from bot.slack import repository as slack_repo
from bot.slack.approvers import ApproverDirectory
from bot.slack.cards import time_left
from bot.slack.client import SlackWebApi
from bot.slack.errors import SlackCallFailed
from knowledge_base.clock import Clock, utcnow
from knowledge_base.db import transaction

log = logging.getLogger(__name__)


def reminder_due(
    *, due_at: datetime, now: datetime, deadline_hours: float, hours: Sequence[float],
    already_sent: Sequence[float],
) -> float | None:
    """The latest reminder mark (hours since the buyer wrote) passed but not yet sent.

    After downtime several marks may have passed: only the latest one is worth a message.
    """
    started = due_at - timedelta(hours=deadline_hours)
    passed = [h for h in hours if now >= started + timedelta(hours=h)]
    if not passed or max(passed) in already_sent:
        return None
    return max(passed)


def send_reminders(
    *, session_factory: sessionmaker[Session], api: SlackWebApi, approvers: ApproverDirectory,
    now: datetime, reminder_hours: Sequence[float], deadline_hours: float,
) -> int:
    """Reply in each waiting card's thread when it passes a reminder mark; returns how many."""
    with transaction(session_factory) as session:
        waiting = [
            (card.draft_id, card.channel, card.thread_ts or card.ts, list(card.reminders_sent),
             draft.due_at)
            for card, draft in slack_repo.open_cards(
                session, status=DraftStatus.PENDING_REVIEW.value
            )
        ]
    sent = 0
    for draft_id, channel, thread_ts, already, due_at in waiting:
        mark = reminder_due(due_at=due_at, now=now, deadline_hours=deadline_hours,
                            hours=reminder_hours, already_sent=already)
        if mark is None or thread_ts is None:
            continue
        with transaction(session_factory) as session:
            # Claim the mark first: a reminder may be lost to an outage, never doubled.
            passed = [h for h in reminder_hours if h <= mark]
            claimed = False
            for hours in passed:
                claimed = slack_repo.mark_reminder_sent(
                    session, draft_id=draft_id, hours=hours
                ) or claimed
        if not claimed:
            continue
        who = approvers.mentions() or "Reviewers"
        text = (f":alarm_clock: {who} draft #{draft_id} has waited {mark:g} h since the buyer "
                f"wrote: {time_left(due_at, now)} to reply.")
        try:
            api.post_message(channel=channel, text=text, thread_ts=thread_ts)
            sent += 1
        except SlackCallFailed as exc:
            log.warning("reminder for draft %s not sent (%s)", draft_id, exc.code)
    return sent


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes // 60} h {minutes % 60:02d} min"


def summary_text(
    *, now: datetime, pending: int, oldest_id: int | None, oldest_created: datetime | None,
    counts: dict[str, int],
) -> str:
    """The daily summary (pending, oldest, approved unedited, edited, rejected, …)."""
    oldest = "none"
    if oldest_id is not None and oldest_created is not None:
        oldest = f"draft #{oldest_id}, waiting {_age(now - oldest_created)}"
    return "\n".join([
        f":bar_chart: *Daily review summary* ({now:%Y-%m-%d})",
        f"• Pending review: *{pending}* (oldest: {oldest})",
        "Last 24 hours:",
        f"• Approved unedited: *{counts.get('approve', 0)}*",
        f"• Edited, then approved: *{counts.get('edit_approve', 0)}*",
        f"• Rejected: *{counts.get('reject', 0)}*",
        f"• Escalated: *{counts.get('escalate', 0)}* · no response needed: "
        f"*{counts.get('no_response_needed', 0)}*",
    ])


def send_daily_summary(
    *, session_factory: sessionmaker[Session], api: SlackWebApi, channel: str, now: datetime,
    hour_utc: int,
) -> bool:
    """Post today's summary once, from ``hour_utc`` on; True when this call posted it."""
    if now.hour < hour_utc:
        return False
    day = now.strftime("%Y-%m-%d")
    with transaction(session_factory) as session:
        if not slack_repo.claim_summary(session, day=day, channel=channel, now=now):
            return False
        pending, oldest = slack_repo.pending_overview(
            session, statuses=[DraftStatus.PENDING_REVIEW.value]
        )
        counts = slack_repo.decisions_since(session, since=now - timedelta(hours=24))
        text = summary_text(
            now=now, pending=pending, oldest_id=oldest.id if oldest else None,
            oldest_created=oldest.created_at if oldest else None, counts=counts,
        )
    try:
        answer = api.post_message(channel=channel, text=text)
    except SlackCallFailed as exc:
        log.warning("daily summary not posted (%s); will retry", exc.code)
        with transaction(session_factory) as session:
            slack_repo.drop_summary(session, day=day)
        return False
    with transaction(session_factory) as session:
        slack_repo.record_summary(session, day=day, ts=str(answer.get("ts") or "") or None)
    return True


class SlackScheduler:
    """Calls ``tick(now)`` every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(
        self, tick: Callable[[datetime], None], *, interval: float = 30.0,
        clock: Clock = utcnow,
    ) -> None:
        self._tick = tick
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._tick(self._clock())
            except Exception:  # the loop must outlive one bad tick (it retries next time)
                log.exception("slack scheduler tick failed")
