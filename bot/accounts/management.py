"""Managing people's access (issue 16, item 7): see and revoke API tokens, change a role,
sign a user out of every browser. Every change is audited; no secret is ever returned.

The CLI (``draftdesk users …``) names users by e-mail, the console by id: both resolve to
the same functions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts import repository as repo
from bot.accounts.errors import TokenNotFound, UserNotFound
from bot.accounts.models import ApiToken, User
from bot.accounts.service import normalise_email, parse_role, require_another_admin
from knowledge_base.clock import utcnow
from knowledge_base.repository import record_audit


@dataclass(frozen=True)
class UserSummary:
    """A user as the admin page and ``users list`` show them."""

    id: int
    email: str
    role: str
    is_active: bool
    created_at: datetime
    live_tokens: int = 0


@dataclass(frozen=True)
class TokenSummary:
    """An API token without its secret: what it is for and when it was used."""

    id: int
    owner: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def _summary(user: User, live_tokens: int = 0) -> UserSummary:
    return UserSummary(id=user.id, email=user.email, role=user.role, is_active=user.is_active,
                       created_at=user.created_at, live_tokens=live_tokens)


def _token(token: ApiToken, owner: str) -> TokenSummary:
    return TokenSummary(id=token.id, owner=owner, label=token.label,
                        created_at=token.created_at, last_used_at=token.last_used_at,
                        revoked_at=token.revoked_at)


def _by_email(session: Session, email: str) -> User:
    user = repo.find_user_by_email(session, email=normalise_email(email))
    if user is None:
        raise UserNotFound(f"no user with the e-mail {email.strip().lower()}")
    return user


def user_summaries(session_factory: sessionmaker[Session]) -> list[UserSummary]:
    """Every user, by e-mail, with the number of API tokens still valid."""
    with session_factory() as session:
        counts = repo.live_token_counts(session)
        return [_summary(u, counts.get(u.id, 0)) for u in repo.list_users(session)]


def user_summary(session_factory: sessionmaker[Session], *, user_id: int) -> UserSummary:
    with session_factory() as session:
        user = repo.get_user(session, user_id=user_id)
        if user is None:
            raise UserNotFound("no such user")
        return _summary(user, repo.live_token_counts(session).get(user.id, 0))


def api_tokens(session_factory: sessionmaker[Session], *, email: str) -> list[TokenSummary]:
    """A user's API tokens, newest first, revoked ones included; never the token itself."""
    with session_factory() as session:
        user = _by_email(session, email)
        return [_token(t, user.email) for t in repo.api_tokens_of(session, user_id=user.id)]


def revoke_api_token(
    session_factory: sessionmaker[Session], *, token_id: int, actor: str,
    owner_id: int | None = None,
) -> tuple[TokenSummary, bool]:
    """Revoke one API token: refused from the next request on. Returns the token and whether
    this call revoked it (False: it was revoked already — nothing changes, nothing audited).
    ``owner_id`` (the console) refuses a token of another user as not found."""
    now = utcnow()
    with session_factory() as session, session.begin():
        token = repo.get_api_token(session, token_id=token_id)
        if token is None or (owner_id is not None and token.user_id != owner_id):
            raise TokenNotFound(f"no API token with the id {token_id}")
        owner = repo.get_user(session, user_id=token.user_id)
        email = owner.email if owner is not None else ""
        changed = token.revoked_at is None
        if changed:
            token.revoked_at = now
            record_audit(session, actor=actor, action="user.revoke_token", entity_type="user",
                         entity_id=str(token.user_id),
                         detail={"token_id": token.id, "label": token.label})
        return _token(token, email), changed


def set_role(
    session_factory: sessionmaker[Session], *, email: str, role: str, actor: str
) -> tuple[UserSummary, str]:
    """Give a user another role, effective on their next request. Returns the user and the
    previous role. The last active admin cannot be demoted."""
    parsed = parse_role(role)
    with session_factory() as session, session.begin():
        user = _by_email(session, email)
        previous = user.role
        if previous == parsed.value:
            return _summary(user), previous
        if previous == "admin" and user.is_active:
            require_another_admin(session)
        user.role = parsed.value
        record_audit(session, actor=actor, action="user.set_role", entity_type="user",
                     entity_id=str(user.id), detail={"from": previous, "to": parsed.value})
        return _summary(user), previous


def sign_out_everywhere(
    session_factory: sessionmaker[Session], *, email: str, actor: str
) -> int:
    """End every browser session of a user (API tokens stay); how many were live."""
    now = utcnow()
    with session_factory() as session, session.begin():
        user = _by_email(session, email)
        ended = repo.revoke_user_sessions(session, user_id=user.id, now=now)
        record_audit(session, actor=actor, action="user.sign_out", entity_type="user",
                     entity_id=str(user.id), detail={"sessions": ended})
        return ended
