"""``draftdesk users …`` in-process through typer: tokens shown once, passwords checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.accounts.errors import InvalidCredentials
from bot.accounts.service import authenticate_password, authenticate_token
from bot.cli import app
from knowledge_base.db import make_engine, make_session_factory


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, workflow_db_url: str, tmp_path: Path) -> str:
    monkeypatch.setenv("DRAFTDESK_DATABASE_URL", workflow_db_url)
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path / "data"))
    return workflow_db_url


def test_create_prints_the_token_once_and_it_works(cli_env: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["users", "create", "Maria@Example.com", "--role", "lead",
                                 "--json"])
    assert result.exit_code == 0, result.output
    token = json.loads(result.stdout)["token"]
    engine = make_engine(cli_env)
    factory = make_session_factory(engine)
    user = authenticate_token(factory, token=token)
    assert user is not None and user.email == "maria@example.com" and user.role.value == "lead"

    again = runner.invoke(app, ["users", "create", "maria@example.com"])
    assert again.exit_code == 1 and "exists already" in again.output
    bad_role = runner.invoke(app, ["users", "create", "x@example.com", "--role", "boss"])
    assert bad_role.exit_code == 1 and "agent, lead, admin" in bad_role.output

    short = runner.invoke(app, ["users", "set-password", "maria@example.com",
                                "--password-stdin"], input="too short\n")
    assert short.exit_code == 1 and "12 characters" in short.output
    ok = runner.invoke(app, ["users", "set-password", "maria@example.com", "--password-stdin"],
                       input="a perfectly fine password\n")
    assert ok.exit_code == 0, ok.output
    assert authenticate_password(factory, email="maria@example.com",
                                 password="a perfectly fine password").role.value == "lead"
    with pytest.raises(InvalidCredentials):
        authenticate_password(factory, email="maria@example.com", password="wrong password!")

    gone = runner.invoke(app, ["users", "deactivate", "maria@example.com"])
    assert gone.exit_code == 0
    assert authenticate_token(factory, token=token) is None
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert json.loads(listed.stdout) == [{"email": "maria@example.com", "role": "lead",
                                          "active": False}]
    engine.dispose()
