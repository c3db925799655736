"""All SQL of accounts: keyword-only functions that take the session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.accounts.models import ApiToken, User, WebSession


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


def user_by_session(session: Session, *, token_hash: str, now: datetime) -> User | None:
    return session.execute(
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.token_hash == token_hash, WebSession.revoked_at.is_(None))
        .where(WebSession.expires_at > now, User.is_active.is_(True))
    ).scalar_one_or_none()


def revoke_web_session(session: Session, *, token_hash: str, now: datetime) -> None:
    session.execute(
        update(WebSession).where(WebSession.token_hash == token_hash).values(revoked_at=now)
    )


def revoke_user_sessions(session: Session, *, user_id: int, now: datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
