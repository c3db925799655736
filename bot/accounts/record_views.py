"""Who opened a buyer's full record, and who changed whose access (issue 16, item 7).

A lead's or admin's view of a buyer's record — a conversation with its messages, orders and
past conversations — is one audit row: who, which conversation id, from where; never the
buyer's data. Agents' views are what reviewing takes and are not recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts import repository as repo
from bot.accounts.service import AuthenticatedUser, Role
from knowledge_base.repository import record_audit

RECORD_VIEW = "record.view"
ACCESS_CHANGES = (
    "user.create", "user.token", "user.set_password", "user.deactivate", "user.revoke_token",
    "user.set_role", "user.sign_out",
)


@dataclass(frozen=True)
class RecordView:
    actor: str
    conversation_id: str
    where: str
    at: datetime


@dataclass(frozen=True)
class AccessChange:
    actor: str
    action: str
    user_id: int | None
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def is_audited_viewer(user: AuthenticatedUser) -> bool:
    """Leads and admins see buyers' records beyond what reviewing needs: their views count."""
    return user.has_role(Role.LEAD)


def note_record_view(
    session_factory: sessionmaker[Session], *, user: AuthenticatedUser, conversation_id: str,
    where: str,
) -> bool:
    """Record that a lead or admin opened a buyer's record (one INSERT); agents are not
    recorded. Returns whether a row was written."""
    if not is_audited_viewer(user):
        return False
    with session_factory() as session, session.begin():
        record_audit(session, actor=user.actor, action=RECORD_VIEW, entity_type="conversation",
                     entity_id=conversation_id, detail={"where": where, "role": user.role.value})
    return True


def recent_record_views(
    session_factory: sessionmaker[Session], *, limit: int = 50
) -> list[RecordView]:
    """The latest views of buyers' records, newest first."""
    with session_factory() as session:
        return [
            RecordView(actor=row.actor, conversation_id=row.entity_id,
                       where=str((row.detail or {}).get("where", "")), at=row.created_at)
            for row in repo.recent_audit(session, actions=[RECORD_VIEW], limit=limit)
        ]


def recent_access_changes(
    session_factory: sessionmaker[Session], *, limit: int = 50
) -> list[AccessChange]:
    """The latest changes to users and their credentials, newest first."""
    with session_factory() as session:
        return [
            AccessChange(actor=row.actor, action=row.action,
                         user_id=int(row.entity_id) if row.entity_id.isdecimal() else None,
                         at=row.created_at, detail=dict(row.detail or {}))
            for row in repo.recent_audit(session, actions=ACCESS_CHANGES, limit=limit)
        ]
