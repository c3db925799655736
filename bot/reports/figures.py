"""The week's review figures, per agent and per KB article.

Definitions (also on the page):

* a **decision** is a draft decided in the week (``decided_at``): sent, rejected, escalated
  or marked no response needed; the agent is ``decided_by``;
* **sent** drafts are split by :func:`bot.reports.edits.classify_edit`;
* the **hand-off rate** is the share of decided drafts that were hand-offs (the bot said a
  person must answer); reasons are counted over those;
* a **reply** is a seller message created in the week; its **time to first reply** runs
  from the first buyer message after the previous seller message (the start of the buyer's
  wait) to the reply; later replies to the same wait are not counted. Replies over 24 h are
  **late**. The agent is the approver; the article is the first one the reply's draft cited
  (manual replies have none);
* a draft's **article** is its first citation; drafts without one are "(no article)".
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.labels import HANDOFF_REASONS
from bot.conversations.models import Draft, Message
from bot.conversations.states import DraftStatus, MessageRole
from bot.reports.edits import EditClass, classify_edit
from bot.reports.week import ReportWeek

LATE_REPLY_AFTER = timedelta(hours=24)
NO_ARTICLE = "(no article)"
DECIDED = (
    DraftStatus.SENT, DraftStatus.REJECTED, DraftStatus.ESCALATED,
    DraftStatus.NO_RESPONSE_NEEDED,
)


@dataclass
class FigureRow:
    """One agent's or one article's figures for the week."""

    key: str
    label: str
    decided: int = 0
    sent_unchanged: int = 0
    sent_light: int = 0
    sent_rewritten: int = 0
    rejected: int = 0
    escalated: int = 0
    no_response: int = 0
    handoffs: int = 0
    late_replies: int = 0
    reply_minutes: list[float] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.sent_unchanged + self.sent_light + self.sent_rewritten

    @property
    def handoff_rate(self) -> float | None:
        return self.handoffs / self.decided if self.decided else None

    @property
    def unchanged_rate(self) -> float | None:
        return self.sent_unchanged / self.sent if self.sent else None

    @property
    def replies(self) -> int:
        return len(self.reply_minutes)

    @property
    def median_first_reply_minutes(self) -> float | None:
        return statistics.median(self.reply_minutes) if self.reply_minutes else None

    def count_decision(self, draft: Draft) -> None:
        self.decided += 1
        self.handoffs += int(draft.handoff)
        if draft.status == DraftStatus.SENT:
            edit = classify_edit(draft.text, draft.final_text)
            if edit is EditClass.UNCHANGED:
                self.sent_unchanged += 1
            elif edit is EditClass.LIGHT:
                self.sent_light += 1
            else:
                self.sent_rewritten += 1
        elif draft.status == DraftStatus.REJECTED:
            self.rejected += 1
        elif draft.status == DraftStatus.ESCALATED:
            self.escalated += 1
        else:
            self.no_response += 1

    def count_reply(self, waited: timedelta) -> None:
        self.reply_minutes.append(waited.total_seconds() / 60)
        self.late_replies += int(waited > LATE_REPLY_AFTER)


@dataclass
class WeekFigures:
    week: ReportWeek
    total: FigureRow
    agents: list[FigureRow]
    articles: list[FigureRow]
    # (plain reason, count), most frequent first.
    handoff_reasons: list[tuple[str, int]]


def first_article(citations: list[dict[str, Any]] | None) -> tuple[str, str]:
    """(article id, title) of a draft's first citation, or the "no article" bucket."""
    for citation in citations or []:
        article_id = str(citation.get("article_id") or "")
        if article_id:
            return article_id, str(citation.get("title") or article_id)
    return NO_ARTICLE, NO_ARTICLE


def reason_label(code: str | None) -> str:
    code = code or "unknown"
    return HANDOFF_REASONS.get(code, code.replace("_", " "))


class _Rows:
    def __init__(self) -> None:
        self.rows: dict[str, FigureRow] = {}

    def __getitem__(self, key_label: tuple[str, str]) -> FigureRow:
        key, label = key_label
        if key not in self.rows:
            self.rows[key] = FigureRow(key=key, label=label)
        return self.rows[key]

    def sorted(self) -> list[FigureRow]:
        return sorted(self.rows.values(), key=lambda r: (-r.decided, -r.replies, r.label))


def week_figures(session: Session, *, week: ReportWeek) -> WeekFigures:
    """Every figure of the week, read in three queries (drafts, replies, their threads)."""
    total = FigureRow(key="all", label="All agents")
    agents, articles = _Rows(), _Rows()
    reasons: Counter[str] = Counter()
    decided = session.scalars(
        select(Draft).where(Draft.decided_at >= week.start, Draft.decided_at < week.end,
                            Draft.status.in_([s.value for s in DECIDED]))
    ).all()
    for draft in decided:
        actor = draft.decided_by or "unknown"
        for row in (total, agents[actor, actor], articles[first_article(draft.citations)]):
            row.count_decision(draft)
        if draft.handoff:
            reasons[reason_label(draft.handoff_reason)] += 1
    for reply, waited, citations in _first_replies(session, week=week):
        actor = reply.approved_by or "unknown"
        for row in (total, agents[actor, actor], articles[first_article(citations)]):
            row.count_reply(waited)
    return WeekFigures(week=week, total=total, agents=agents.sorted(),
                       articles=articles.sorted(), handoff_reasons=reasons.most_common())


@dataclass(frozen=True)
class _ThreadEntry:
    id: int
    role: str
    created_at: datetime


def _first_replies(
    session: Session, *, week: ReportWeek
) -> Iterable[tuple[Message, timedelta, list[dict[str, Any]] | None]]:
    """Each seller message of the week that ended a buyer's wait, how long the wait was,
    and the citations of the draft it came from (None for a manual reply)."""
    replies = session.scalars(
        select(Message).where(Message.role == MessageRole.SELLER.value,
                              Message.created_at >= week.start, Message.created_at < week.end)
        .order_by(Message.id)
    ).all()
    if not replies:
        return
    conversation_ids = {m.conversation_id for m in replies}
    # Only ids, roles and times: the buyers' (encrypted) text is not needed here.
    thread_rows = session.execute(
        select(Message.id, Message.conversation_id, Message.role, Message.created_at)
        .where(Message.conversation_id.in_(conversation_ids), Message.created_at < week.end,
               Message.role != MessageRole.SYSTEM.value)
        .order_by(Message.conversation_id, Message.id)
    ).all()
    threads: dict[str, list[_ThreadEntry]] = {}
    for row in thread_rows:
        threads.setdefault(row.conversation_id, []).append(
            _ThreadEntry(id=row.id, role=row.role, created_at=row.created_at)
        )
    draft_ids = [m.draft_id for m in replies if m.draft_id is not None]
    citations: dict[int, list[dict[str, Any]]] = dict(session.execute(
        select(Draft.id, Draft.citations).where(Draft.id.in_(draft_ids))
    ).all()) if draft_ids else {}
    for reply in replies:
        wait_started = _wait_start(threads.get(reply.conversation_id, []), reply_id=reply.id)
        if wait_started is not None:
            yield (reply, max(reply.created_at - wait_started, timedelta(0)),
                   citations.get(reply.draft_id) if reply.draft_id is not None else None)


def _wait_start(thread: list[_ThreadEntry], *, reply_id: int) -> datetime | None:
    """When the buyer's wait that ``reply_id`` answers began; None when the message before
    it was already a reply (a second reply to the same wait)."""
    started: datetime | None = None
    for entry in thread:
        if entry.id == reply_id:
            return started
        if entry.role == MessageRole.SELLER.value:
            started = None
        elif entry.role == MessageRole.BUYER.value and started is None:
            started = entry.created_at
    return None
