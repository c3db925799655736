"""All SQL of the Slack desk: keyword-only functions that take the session.

Claims are conditional UPDATEs and inserts are ``ON CONFLICT DO NOTHING`` so that several
processes (or a re-delivered payload) can race without a second card, a second summary or
a decision applied twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.conversations.models import Draft, ReviewEvent
from bot.slack.models import SlackAction, SlackCard, SlackSummary


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def _insert_if_absent(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless its primary key exists; True when this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells reliably whether a row went in (psycopg reports no rowcount here).
    statement = (
        insert(table).values(**values).on_conflict_do_nothing()
        .returning(*table.primary_key.columns)
    )
    return session.execute(statement).first() is not None


# --- cards ---------------------------------------------------------------------------


def get_card(session: Session, *, draft_id: int) -> SlackCard | None:
    return session.get(SlackCard, draft_id, populate_existing=True)


def claim_card(
    session: Session, *, draft_id: int, conversation_id: str, channel: str, now: datetime,
    lease_seconds: float,
) -> SlackCard | None:
    """Create the card row if needed and take its lease; None when someone else holds it."""
    _insert_if_absent(session, SlackCard.__table__, {  # type: ignore[arg-type]
        "draft_id": draft_id, "conversation_id": conversation_id, "channel": channel,
        "attempts": 0, "reminders_sent": [], "created_at": now, "updated_at": now,
    })
    result = session.execute(
        update(SlackCard)
        .where(SlackCard.draft_id == draft_id)
        .where(or_(SlackCard.lease_until.is_(None), SlackCard.lease_until < now))
        .values(lease_until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        return None
    return get_card(session, draft_id=draft_id)


def release_card(session: Session, *, draft_id: int) -> None:
    session.execute(
        update(SlackCard).where(SlackCard.draft_id == draft_id).values(lease_until=None)
        .execution_options(synchronize_session=False)
    )


def record_card_shown(
    session: Session, *, draft_id: int, shown_status: str, now: datetime,
    ts: str | None = None, thread_ts: str | None = None,
) -> None:
    """The card now shows ``shown_status`` (and, when just posted, lives at ``ts``)."""
    values: dict[str, Any] = {
        "shown_status": shown_status, "updated_at": now, "attempts": 0,
        "next_attempt_at": None, "last_error": None, "lease_until": None,
    }
    if ts is not None:
        values.update(ts=ts, thread_ts=thread_ts)
    session.execute(
        update(SlackCard).where(SlackCard.draft_id == draft_id).values(**values)
        .execution_options(synchronize_session=False)
    )


def record_card_failure(
    session: Session, *, draft_id: int, error: str, retry_at: datetime, now: datetime
) -> None:
    """Slack failed for now: the scheduler tries again from ``retry_at``."""
    session.execute(
        update(SlackCard).where(SlackCard.draft_id == draft_id)
        .values(attempts=SlackCard.attempts + 1, last_error=error[:200], next_attempt_at=retry_at,
                updated_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def thread_root(session: Session, *, conversation_id: str, channel: str) -> str | None:
    """The ``ts`` of the conversation's first posted card (later drafts reply in its thread)."""
    return session.execute(
        select(SlackCard.ts)
        .where(SlackCard.conversation_id == conversation_id, SlackCard.channel == channel,
               SlackCard.ts.is_not(None), SlackCard.thread_ts.is_(None))
        .order_by(SlackCard.created_at, SlackCard.draft_id)
        .limit(1)
    ).scalar_one_or_none()


def drafts_owed_a_card(
    session: Session, *, statuses: Collection[str], created_after: datetime, now: datetime,
    limit: int = 50,
) -> list[int]:
    """Open drafts never posted: no card row yet, or a failed post whose retry time came."""
    due = or_(SlackCard.next_attempt_at.is_(None), SlackCard.next_attempt_at <= now)
    return list(session.execute(
        select(Draft.id)
        .outerjoin(SlackCard, SlackCard.draft_id == Draft.id)
        .where(Draft.status.in_(list(statuses)), Draft.created_at >= created_after)
        .where(or_(SlackCard.draft_id.is_(None), and_(SlackCard.ts.is_(None), due)))
        .order_by(Draft.id)
        .limit(limit)
    ).scalars())


def cards_out_of_date(session: Session, *, now: datetime, limit: int = 50) -> list[int]:
    """Posted cards whose draft changed status since (a decision here or in the console)."""
    return list(session.execute(
        select(SlackCard.draft_id)
        .join(Draft, Draft.id == SlackCard.draft_id)
        .where(SlackCard.ts.is_not(None), SlackCard.shown_status != Draft.status)
        .where(or_(SlackCard.next_attempt_at.is_(None), SlackCard.next_attempt_at <= now))
        .order_by(SlackCard.draft_id)
        .limit(limit)
    ).scalars())


def open_cards(session: Session, *, status: str) -> list[tuple[SlackCard, Draft]]:
    """Posted cards whose draft is still in ``status`` (candidates for reminders)."""
    rows = session.execute(
        select(SlackCard, Draft)
        .join(Draft, Draft.id == SlackCard.draft_id)
        .where(SlackCard.ts.is_not(None), Draft.status == status)
        .order_by(Draft.due_at, Draft.id)
    ).all()
    return [(card, draft) for card, draft in rows]


def mark_reminder_sent(session: Session, *, draft_id: int, hours: float) -> bool:
    """Note that the ``hours`` reminder went out; False when it already had."""
    card = session.execute(
        select(SlackCard).where(SlackCard.draft_id == draft_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if card is None or hours in (card.reminders_sent or []):
        return False
    card.reminders_sent = [*(card.reminders_sent or []), hours]
    return True


# --- the actions inbox -----------------------------------------------------------------


def record_action(
    session: Session, *, key: str, draft_id: int, user_id: str, decision: str,
    text: str | None, channel: str | None, now: datetime,
) -> bool:
    """Record a decision taken in Slack; False when this payload was seen before."""
    return _insert_if_absent(session, SlackAction.__table__, {  # type: ignore[arg-type]
        "key": key, "draft_id": draft_id, "user_id": user_id, "decision": decision,
        "text": text, "channel": channel, "status": "pending", "attempts": 0, "created_at": now,
    })


def get_action(session: Session, *, key: str) -> SlackAction | None:
    return session.get(SlackAction, key, populate_existing=True)


def claim_action(session: Session, *, key: str) -> bool:
    """Take a pending action for processing (one processor wins)."""
    result = session.execute(
        update(SlackAction).where(SlackAction.key == key, SlackAction.status == "pending")
        .values(status="processing", attempts=SlackAction.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def finish_action(
    session: Session, *, key: str, status: str, outcome: str, now: datetime
) -> None:
    """``done`` (applied or refused by the workflow) or back to ``pending`` to retry."""
    session.execute(
        update(SlackAction).where(SlackAction.key == key)
        .values(status=status, outcome=outcome[:60], processed_at=now)
        .execution_options(synchronize_session=False)
    )


def stalled_actions(session: Session, *, created_before: datetime, limit: int = 50) -> list[str]:
    """Actions left pending or half-processed (a crash, a database hiccup) to resume."""
    return list(session.execute(
        select(SlackAction.key)
        .where(SlackAction.status.in_(["pending", "processing"]),
               SlackAction.created_at < created_before)
        .order_by(SlackAction.created_at)
        .limit(limit)
    ).scalars())


def reopen_action(session: Session, *, key: str) -> None:
    session.execute(
        update(SlackAction).where(SlackAction.key == key, SlackAction.status == "processing")
        .values(status="pending").execution_options(synchronize_session=False)
    )


# --- the daily summary --------------------------------------------------------------------


def claim_summary(session: Session, *, day: str, channel: str, now: datetime) -> bool:
    """Take the summary of ``day``; False when it was already posted (or is being posted)."""
    return _insert_if_absent(session, SlackSummary.__table__, {  # type: ignore[arg-type]
        "day": day, "channel": channel, "created_at": now,
    })


def record_summary(session: Session, *, day: str, ts: str | None) -> None:
    session.execute(update(SlackSummary).where(SlackSummary.day == day).values(ts=ts))


def drop_summary(session: Session, *, day: str) -> None:
    """Forget a claim whose post failed, so the next tick tries again."""
    summary = session.get(SlackSummary, day)
    if summary is not None:
        session.delete(summary)


def decisions_since(session: Session, *, since: datetime) -> dict[str, int]:
    """How many review events of each action happened since ``since``."""
    rows = session.execute(
        select(ReviewEvent.action, func.count())
        .where(ReviewEvent.created_at >= since, ReviewEvent.draft_id.is_not(None))
        .group_by(ReviewEvent.action)
    ).all()
    return {str(action): int(count) for action, count in rows}


def pending_overview(session: Session, *, statuses: Collection[str]) -> tuple[int, Draft | None]:
    """How many drafts wait for review, and the one waiting longest."""
    where = Draft.status.in_(list(statuses))
    count = int(session.execute(select(func.count()).select_from(Draft).where(where)).scalar_one())
    oldest = session.execute(
        select(Draft).where(where).order_by(Draft.created_at, Draft.id).limit(1)
    ).scalar_one_or_none()
    return count, oldest
