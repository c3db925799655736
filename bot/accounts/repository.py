"""All SQL of accounts: keyword-only functions that take the session."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.accounts.models import ApiToken, User, WebSession
from knowledge_base.models import AuditLog


def get_user(session: Session, *, user_id: int) -> User | None:
    return session.get(User, user_id)


def find_user_by_email(session: Session, *, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.email)).scalars())


def add_user(session: Session, *, email: str, role: str, now: datetime) -> User:
    user = User(email=email, role=role, is_active=True, created_at=now)
    session.add(user)
    session.flush()
    return user


def add_api_token(
    session: Session, *, user_id: int, token_hash: str, label: str, now: datetime
) -> ApiToken:
    token = ApiToken(user_id=user_id, token_hash=token_hash, label=label, created_at=now)
    session.add(token)
    session.flush()
    return token


def user_by_api_token(session: Session, *, token_hash: str) -> tuple[User, ApiToken] | None:
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
        .where(User.is_active.is_(True))
    ).first()
    return (row[0], row[1]) if row else None


def revoke_api_tokens(session: Session, *, user_id: int, now: datetime) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def add_web_session(
    session: Session, *, user_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> WebSession:
    web_session = WebSession(
        user_id=user_id, token_hash=token_hash, created_at=now, expires_at=expires_at
    )
    session.add(web_session)
    session.flush()
    return web_session


def user_by_session(
    session: Session, *, token_hash: str, now: datetime, idle_since: datetime | None = None
) -> tuple[User, WebSession] | None:
    """The active user of a live session: not revoked, not expired, and (with ``idle_since``)
    used after that moment."""
    query = (
        select(User, WebSession)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == token_hash, WebSession.revoked_at.is_(None))
        .where(WebSession.expires_at > now, User.is_active.is_(True))
    )
    if idle_since is not None:
        query = query.where(or_(
            WebSession.last_seen_at > idle_since,
            and_(WebSession.last_seen_at.is_(None), WebSession.created_at > idle_since),
        ))
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def touch_web_session(
    session: Session, *, session_id: int, now: datetime, unless_seen_after: datetime
) -> None:
    """Record a use of the session, unless one was recorded after ``unless_seen_after``
    (a conditional UPDATE: concurrent requests write at most once)."""
    session.execute(
        update(WebSession)
        .where(WebSession.id == session_id)
        .where(or_(WebSession.last_seen_at.is_(None),
                   WebSession.last_seen_at <= unless_seen_after))
        .values(last_seen_at=now)
    )


def revoke_web_session(session: Session, *, token_hash: str, now: datetime) -> None:
    session.execute(
        update(WebSession).where(WebSession.token_hash == token_hash).values(revoked_at=now)
    )


def revoke_user_sessions(session: Session, *, user_id: int, now: datetime) -> int:
    """Revoke every live session of a user; how many there were."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .where(WebSession.expires_at > now)
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def api_tokens_of(session: Session, *, user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first (revoked ones too)."""
    return list(session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars())


def get_api_token(session: Session, *, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def live_token_counts(session: Session) -> dict[int, int]:
    """Unrevoked API tokens per user id."""
    rows = session.execute(
        select(ApiToken.user_id, func.count())
        .where(ApiToken.revoked_at.is_(None)).group_by(ApiToken.user_id)
    ).all()
    return {int(user_id): int(count) for user_id, count in rows}


def count_active_admins(session: Session) -> int:
    return int(session.execute(
        select(func.count()).select_from(User)
        .where(User.role == "admin", User.is_active.is_(True))
    ).scalar_one())


def recent_audit(session: Session, *, actions: Collection[str], limit: int) -> list[AuditLog]:
    """The latest audit entries of these actions, newest first."""
    return list(session.execute(
        select(AuditLog).where(AuditLog.action.in_(list(actions)))
        .order_by(AuditLog.id.desc()).limit(limit)
    ).scalars())
