"""Who works on what at the agent's desk: conversations claimed by (assigned to) an agent,
and who has a draft open right now ("Ana is viewing").

Both live in the database, not in a process: behind a proxy an agent's requests reach any
of several API processes, and two agents must see each other whichever process serves them.
Presence is a last-seen time per agent and draft, refreshed by the open console page; an
agent counts as viewing while that time is younger than ``VIEWING_FRESH_FOR``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.conversations import repository as repo
from bot.conversations.context import WorkflowContext
from bot.conversations.errors import ConversationNotFound, DraftNotFound
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime

# The console refreshes presence every 15 s; three missed beats and the agent has left.
VIEWING_FRESH_FOR = timedelta(seconds=45)


class DraftViewer(Base):
    """An agent's last sign of life on a draft's page."""

    __tablename__ = "draft_viewers"

    draft_id: Mapped[int] = mapped_column(
        ForeignKey("drafts.id", ondelete="CASCADE"), primary_key=True
    )
    agent: Mapped[str] = mapped_column(String(254), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


class ConversationAssignment(Base):
    """The agent a conversation is claimed by or assigned to. Per conversation, not per
    draft: a claim holds when the buyer writes again and a new draft replaces the old."""

    __tablename__ = "conversation_assignments"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    assignee: Mapped[str] = mapped_column(String(254), index=True)
    assigned_by: Mapped[str] = mapped_column(String(254))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


@dataclass(frozen=True)
class Assignment:
    conversation_id: str
    assignee: str
    assigned_by: str
    assigned_at: datetime


def display_name(agent: str) -> str:
    """How the desk names a colleague: "ana.lopez@shop.example" → "Ana Lopez"."""
    local = agent.split("@", 1)[0]
    words = [w for w in local.replace("_", ".").replace("-", ".").split(".") if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or agent


def note_viewing(ctx: WorkflowContext, *, draft_id: int, agent: str) -> None:
    """Record that ``agent`` has the draft open now (an upsert: one row per agent)."""
    now = ctx.clock()
    with ctx.transaction() as session:
        if repo.get_draft(session, draft_id=draft_id) is None:
            raise DraftNotFound("no such draft")
        _upsert_viewer(session, draft_id=draft_id, agent=agent, now=now)


def _upsert_viewer(session: Session, *, draft_id: int, agent: str, now: datetime) -> None:
    # One statement on both databases: two beats of one agent never collide on the key.
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else (
        sqlite_insert
    )
    statement = insert(DraftViewer).values(draft_id=draft_id, agent=agent, seen_at=now)
    session.execute(statement.on_conflict_do_update(
        index_elements=[DraftViewer.draft_id, DraftViewer.agent], set_={"seen_at": now}
    ))


def stop_viewing(ctx: WorkflowContext, *, draft_id: int, agent: str) -> None:
    """The agent left the draft (page closed or another draft opened)."""
    with ctx.transaction() as session:
        session.execute(delete(DraftViewer).where(
            DraftViewer.draft_id == draft_id, DraftViewer.agent == agent
        ))


def viewers(ctx: WorkflowContext, *, draft_id: int, besides: str | None = None) -> list[str]:
    """Agents (other than ``besides``) who had the draft open within the freshness window,
    the most recent first."""
    since = ctx.clock() - VIEWING_FRESH_FOR
    with ctx.reading() as session:
        agents = session.execute(
            select(DraftViewer.agent)
            .where(DraftViewer.draft_id == draft_id, DraftViewer.seen_at >= since)
            .order_by(DraftViewer.seen_at.desc(), DraftViewer.agent)
        ).scalars()
        return [agent for agent in agents if agent != besides]


def viewers_by_draft(ctx: WorkflowContext, *, draft_ids: Collection[int]) -> dict[int, list[str]]:
    """Fresh viewers of many drafts at once (the queue's "Ana is viewing" marks)."""
    if not draft_ids:
        return {}
    since = ctx.clock() - VIEWING_FRESH_FOR
    found: dict[int, list[str]] = {}
    with ctx.reading() as session:
        rows = session.execute(
            select(DraftViewer.draft_id, DraftViewer.agent)
            .where(DraftViewer.draft_id.in_(list(draft_ids)), DraftViewer.seen_at >= since)
            .order_by(DraftViewer.seen_at.desc(), DraftViewer.agent)
        ).all()
    for draft_id, agent in rows:
        found.setdefault(draft_id, []).append(agent)
    return found


def assign(
    ctx: WorkflowContext, *, conversation_id: str, assignee: str | None, actor: str
) -> Assignment | None:
    """Claim (``assignee == actor``), hand over to a colleague, or release (``None``) the
    conversation. The last word wins: a lead may reassign what an agent claimed."""
    now = ctx.clock()
    with ctx.transaction() as session:
        if repo.get_conversation(session, conversation_id=conversation_id) is None:
            raise ConversationNotFound("no such conversation")
        session.execute(delete(ConversationAssignment).where(
            ConversationAssignment.conversation_id == conversation_id
        ))
        repo.add_review_event(
            session, conversation_id=conversation_id, actor=actor,
            action="assign" if assignee else "unassign", now=now, note=assignee,
        )
        if assignee is None:
            return None
        session.add(ConversationAssignment(
            conversation_id=conversation_id, assignee=assignee, assigned_by=actor,
            assigned_at=now,
        ))
    return Assignment(conversation_id, assignee, actor, now)


def assignments(
    ctx: WorkflowContext, *, conversation_ids: Collection[str]
) -> dict[str, Assignment]:
    """The current assignment of each of the conversations that has one."""
    if not conversation_ids:
        return {}
    with ctx.reading() as session:
        rows = session.execute(
            select(ConversationAssignment)
            .where(ConversationAssignment.conversation_id.in_(list(conversation_ids)))
        ).scalars()
        return {
            row.conversation_id: Assignment(
                row.conversation_id, row.assignee, row.assigned_by, row.assigned_at
            )
            for row in rows
        }
