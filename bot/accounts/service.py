"""Users and how they prove who they are: API tokens, passwords, web sessions.

Roles are ordered ``agent < lead < admin``: a lead can do what an agent can, and more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts import repository as repo
from bot.accounts.credentials import (
    hash_password,
    new_api_token,
    new_session_token,
    sha256_hex,
    verify_password,
)
from bot.accounts.errors import (
    InvalidCredentials,
    InvalidEmail,
    InvalidRole,
    LastAdmin,
    UserExists,
    UserNotFound,
)
from bot.accounts.models import User
from knowledge_base.clock import utcnow
from knowledge_base.repository import record_audit

# A browser session's last use is written at most this often (the idle timeout's resolution).
SESSION_TOUCH_SECONDS = 60
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


_RANK = {Role.AGENT: 1, Role.LEAD: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class AuthenticatedUser:
    """Who is acting; ``actor`` is what the audit trail and delivery records show."""

    id: int
    email: str
    role: Role

    @property
    def actor(self) -> str:
        return self.email

    def has_role(self, minimum: Role) -> bool:
        return _RANK[self.role] >= _RANK[minimum]


@dataclass(frozen=True)
class NewUser:
    user: AuthenticatedUser
    token: str  # shown once


def normalise_email(email: str) -> str:
    # Checked before lower-casing: lower() can lengthen text ("İ" → "i̇"), and the rule the
    # API schema publishes is the one on what was sent.
    value = email.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidEmail(f"not an e-mail address: {email!r}")
    return value.lower()


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError as exc:
        raise InvalidRole("the role must be one of agent, lead, admin") from exc


def _authenticated(user: User) -> AuthenticatedUser:
    return AuthenticatedUser(id=user.id, email=user.email, role=Role(user.role))


def create_user(
    session_factory: sessionmaker[Session], *, email: str, role: str, actor: str = "cli",
    token_label: str = "created with the user",
) -> NewUser:
    """Create a user with a first API token (returned once, stored as sha256)."""
    address, parsed = normalise_email(email), parse_role(role)
    token = new_api_token()
    now = utcnow()
    with session_factory() as session, session.begin():
        if repo.find_user_by_email(session, email=address) is not None:
            raise UserExists(f"a user with the e-mail {address} exists already")
        user = repo.add_user(session, email=address, role=parsed.value, now=now)
        repo.add_api_token(session, user_id=user.id, token_hash=sha256_hex(token),
                           label=token_label, now=now)
        record_audit(session, actor=actor, action="user.create", entity_type="user",
                     entity_id=str(user.id), detail={"email": address, "role": parsed.value})
        return NewUser(user=_authenticated(user), token=token)


def issue_api_token(
    session_factory: sessionmaker[Session], *, email: str, label: str = "", actor: str = "cli"
) -> str:
    """Another API token for an existing user (shown once)."""
    token = new_api_token()
    now = utcnow()
    with session_factory() as session, session.begin():
        user = _require_user(session, email)
        repo.add_api_token(session, user_id=user.id, token_hash=sha256_hex(token), label=label,
                           now=now)
        record_audit(session, actor=actor, action="user.token", entity_type="user",
                     entity_id=str(user.id), detail={"label": label})
    return token


def set_password(
    session_factory: sessionmaker[Session], *, email: str, password: str, actor: str = "cli"
) -> None:
    """Set (or replace) the web password; signs the user out of every browser."""
    password_hash = hash_password(password)
    now = utcnow()
    with session_factory() as session, session.begin():
        user = _require_user(session, email)
        user.password_hash = password_hash
        repo.revoke_user_sessions(session, user_id=user.id, now=now)
        record_audit(session, actor=actor, action="user.set_password", entity_type="user",
                     entity_id=str(user.id), detail={})


def deactivate_user(
    session_factory: sessionmaker[Session], *, email: str, actor: str = "cli"
) -> None:
    """Revoke a leaver's access at once: tokens, sessions, sign-in."""
    now = utcnow()
    with session_factory() as session, session.begin():
        user = _require_user(session, email)
        if user.role == Role.ADMIN.value and user.is_active:
            require_another_admin(session)
        user.is_active = False
        repo.revoke_api_tokens(session, user_id=user.id, now=now)
        repo.revoke_user_sessions(session, user_id=user.id, now=now)
        record_audit(session, actor=actor, action="user.deactivate", entity_type="user",
                     entity_id=str(user.id), detail={})


def list_users(session_factory: sessionmaker[Session]) -> list[tuple[str, str, bool]]:
    """(email, role, active) of every user."""
    with session_factory() as session:
        return [(u.email, u.role, u.is_active) for u in repo.list_users(session)]


def authenticate_token(
    session_factory: sessionmaker[Session], *, token: str
) -> AuthenticatedUser | None:
    """The user behind an API token, or None."""
    if not token:
        return None
    with session_factory() as session, session.begin():
        found = repo.user_by_api_token(session, token_hash=sha256_hex(token))
        if found is None:
            return None
        user, api_token = found
        api_token.last_used_at = utcnow()
        return _authenticated(user)


def authenticate_password(
    session_factory: sessionmaker[Session], *, email: str, password: str
) -> AuthenticatedUser:
    """Check an e-mail and password; InvalidCredentials never says which was wrong."""
    try:
        address = normalise_email(email)
    except InvalidEmail as exc:
        raise InvalidCredentials("wrong e-mail or password") from exc
    with session_factory() as session:
        user = repo.find_user_by_email(session, email=address)
        active = user is not None and user.is_active
        if not verify_password(user.password_hash if active and user else None, password):
            raise InvalidCredentials("wrong e-mail or password")
        assert user is not None
        return _authenticated(user)


def start_web_session(
    session_factory: sessionmaker[Session], *, user_id: int, hours: float,
    now: datetime | None = None,
) -> str:
    """A new browser session; returns the raw token for the cookie (stored as sha256)."""
    token = new_session_token()
    now = now or utcnow()
    with session_factory() as session, session.begin():
        web_session = repo.add_web_session(session, user_id=user_id,
                                           token_hash=sha256_hex(token), now=now,
                                           expires_at=now + timedelta(hours=hours))
        web_session.last_seen_at = now
    return token


def user_for_web_session(
    session_factory: sessionmaker[Session], *, token: str, idle_minutes: float | None = None,
    now: datetime | None = None,
) -> AuthenticatedUser | None:
    """The user of a live browser session, or None when it was revoked, expired, left idle
    longer than ``idle_minutes``, or its user was deactivated. A use is recorded at most
    once a minute (``SESSION_TOUCH_SECONDS``), so most requests only read."""
    if not token:
        return None
    now = now or utcnow()
    idle_since = now - timedelta(minutes=idle_minutes) if idle_minutes is not None else None
    with session_factory() as session:
        found = repo.user_by_session(session, token_hash=sha256_hex(token), now=now,
                                     idle_since=idle_since)
        if found is None:
            return None
        user, web_session = found
        authenticated = _authenticated(user)
        seen = web_session.last_seen_at or web_session.created_at
        session_id = web_session.id
    if now - seen >= timedelta(seconds=SESSION_TOUCH_SECONDS):
        with session_factory() as session, session.begin():
            repo.touch_web_session(
                session, session_id=session_id, now=now,
                unless_seen_after=now - timedelta(seconds=SESSION_TOUCH_SECONDS),
            )
    return authenticated


def end_web_session(session_factory: sessionmaker[Session], *, token: str) -> None:
    with session_factory() as session, session.begin():
        repo.revoke_web_session(session, token_hash=sha256_hex(token), now=utcnow())


def require_another_admin(session: Session) -> None:
    """Refuse a change that would leave no active admin to manage users."""
    if repo.count_active_admins(session) <= 1:
        raise LastAdmin("this is the only active admin: make someone else admin first")


def _require_user(session: Session, email: str) -> User:
    user = repo.find_user_by_email(session, email=normalise_email(email))
    if user is None:
        raise UserNotFound(f"no user with the e-mail {email.strip().lower()}")
    return user
