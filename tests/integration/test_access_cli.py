"""``draftdesk users tokens | revoke-token | set-role | sign-out`` in-process through typer
(issue 16, item 7): tokens listed without their secret, revoked at once, every change
audited, and the last admin kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.accounts.models import ApiToken
from bot.accounts.service import authenticate_token, start_web_session, user_for_web_session
from bot.cli import app
from knowledge_base.db import make_engine, make_session_factory
from knowledge_base.models import AuditLog
from tests.factories import add_user

runner = CliRunner()


@pytest.fixture
def factory(
    monkeypatch: pytest.MonkeyPatch, workflow_db_url: str, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    """The CLI's database (through the environment, as a person runs it) and a session
    factory on it for the test's own checks."""
    monkeypatch.setenv("DRAFTDESK_DATABASE_URL", workflow_db_url)
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path / "data"))
    engine = make_engine(workflow_db_url)
    yield make_session_factory(engine)
    engine.dispose()


def _users(*args: str) -> Result:
    return runner.invoke(app, ["users", *args])


def _actions(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with factory() as session:
        return [(a.actor, a.action) for a in session.execute(
            select(AuditLog).where(AuditLog.action.like("user.%")).order_by(AuditLog.id)
        ).scalars()]


def test_tokens_are_listed_without_secrets_and_revoked_by_id(
    factory: sessionmaker[Session],
) -> None:
    created = add_user(factory, email="maria@example.com", role="agent")
    laptop = json.loads(_users("token", "maria@example.com", "--label", "laptop",
                               "--json").stdout)["token"]
    assert authenticate_token(factory, token=laptop) is not None

    table = _users("tokens", "Maria@Example.com")
    listed = _users("tokens", "maria@example.com", "--json")

    assert table.exit_code == 0, table.output
    assert created.token not in table.output and laptop not in table.output
    assert "laptop" in table.output and "created with the user" in table.output
    rows = json.loads(listed.stdout)
    assert [r["label"] for r in rows] == ["laptop", "created with the user"]
    assert rows[0]["last_used_at"] is not None and rows[1]["last_used_at"] is None
    assert all(r["revoked_at"] is None for r in rows)
    with factory() as session:
        hashes = list(session.execute(select(ApiToken.token_hash)).scalars())
    assert not any(h in table.output for h in hashes)

    revoked = _users("revoke-token", str(rows[0]["id"]))
    twice = _users("revoke-token", str(rows[0]["id"]))
    missing = _users("revoke-token", "99999")
    nonsense = _users("revoke-token", "seven")

    assert revoked.exit_code == 0, revoked.output
    assert f"revoked token {rows[0]['id']} (laptop) of maria@example.com" in revoked.output
    assert twice.exit_code == 0 and "already revoked" in twice.output
    assert missing.exit_code == 1 and "no API token with the id 99999" in missing.output
    assert nonsense.exit_code == 2
    assert authenticate_token(factory, token=laptop) is None
    assert authenticate_token(factory, token=created.token) is not None
    after = json.loads(_users("tokens", "maria@example.com", "--json").stdout)
    assert after[0]["revoked_at"] is not None and after[1]["revoked_at"] is None
    assert _actions(factory).count(("cli", "user.revoke_token")) == 1
    unknown = _users("tokens", "nobody@example.com")
    assert unknown.exit_code == 1 and "no user" in unknown.output


def test_set_role_and_sign_out_are_audited(factory: sessionmaker[Session]) -> None:
    created = add_user(factory, email="maria@example.com", role="agent")
    session_token = start_web_session(factory, user_id=created.user.id, hours=8)

    promoted = _users("set-role", "maria@example.com", "lead")
    same = _users("set-role", "maria@example.com", "LEAD")
    bad = _users("set-role", "maria@example.com", "boss")
    signed_out = _users("sign-out", "maria@example.com")

    assert promoted.exit_code == 0 and "agent → lead" in promoted.output
    assert "lead already" in same.output
    assert bad.exit_code == 1 and "agent, lead, admin" in bad.output
    assert signed_out.exit_code == 0 and "1 browser session" in signed_out.output
    assert user_for_web_session(factory, token=session_token) is None
    user = authenticate_token(factory, token=created.token)
    assert user is not None and user.role.value == "lead"
    assert _actions(factory)[-2:] == [("cli", "user.set_role"), ("cli", "user.sign_out")]


def test_the_last_admin_cannot_be_demoted_or_deactivated(
    factory: sessionmaker[Session],
) -> None:
    add_user(factory, email="boss@example.com", role="admin")

    demoted = _users("set-role", "boss@example.com", "agent")
    deactivated = _users("deactivate", "boss@example.com")

    assert demoted.exit_code == 1 and "only active admin" in demoted.output
    assert deactivated.exit_code == 1 and "only active admin" in deactivated.output
    add_user(factory, email="second@example.com", role="admin")
    assert _users("set-role", "boss@example.com", "lead").exit_code == 0
    assert _users("deactivate", "second@example.com").exit_code == 1
