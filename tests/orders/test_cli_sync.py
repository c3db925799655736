"""``draftdesk orders sync`` as a seller runs it, against the local fake of Amazon, on SQLite
and PostgreSQL: counts on success, one clear line (exit code 1, no traceback) otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import REPO_ROOT
from tests.orders.conftest import amazon_item, amazon_order
from tests.orders.fake_amazon import CLIENT_SECRET, REFRESH_TOKEN, FakeAmazon, sp_api_env

ORDER = "112-2233445-5566778"
LATER = "112-7000001-0000001"


@pytest.fixture
def seller_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workflow_db_url: str, amazon: FakeAmazon
) -> dict[str, str]:
    env = {
        "DRAFTDESK_DATA_DIR": str(tmp_path / "data"),
        "DRAFTDESK_DATABASE_URL": workflow_db_url,
        **sp_api_env(amazon),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_sync_prints_counts_and_the_next_sync_starts_where_it_ended(
    seller_env: dict[str, str], amazon: FakeAmazon, hour_ago: datetime
) -> None:
    amazon.now = lambda: hour_ago
    amazon.put_order(
        amazon_order(ORDER, updated=hour_ago - timedelta(days=1)),
        [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")],
    )
    runner = CliRunner()
    first = runner.invoke(app, ["orders", "sync"])
    assert first.exit_code == 0, first.output
    cursor = (hour_ago - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M UTC")
    lines = first.stdout.splitlines()
    assert lines[0].endswith(": 1 orders (1 new, 0 updated, 0 unchanged).")
    assert lines[1:] == [f"The next sync asks for changes since {cursor}."]

    amazon.now = lambda: datetime.now(UTC)
    amazon.put_order(
        amazon_order(LATER, updated=hour_ago + timedelta(minutes=20), status="Canceled"),
        [amazon_item("KET-17", "Electric kettle", shipped=0)],
    )
    second = runner.invoke(app, ["orders", "sync"])
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[0] == (
        f"Synced orders changed since {cursor}: 1 orders (1 new, 0 updated, 0 unchanged)."
    )
    shown = runner.invoke(app, ["orders", "show", LATER])
    assert shown.stdout.splitlines()[0] == f"order {LATER}: canceled"

    again = runner.invoke(app, ["orders", "sync", "--since", "2020-01-01", "--json"])
    assert again.exit_code == 0, again.output
    assert '"inserted":0' in again.stdout and '"unchanged":2' in again.stdout


def test_an_order_amazon_sends_that_cannot_be_imported_is_listed_with_exit_code_1(
    seller_env: dict[str, str], amazon: FakeAmazon
) -> None:
    amazon.put_order(
        amazon_order(ORDER, updated=datetime.now(UTC) - timedelta(hours=2), status="Teleported"),
        [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")],
    )
    result = CliRunner().invoke(app, ["orders", "sync"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1:3] == [
        f"order {ORDER}: unknown order status 'Teleported'",
        "1 order(s) not imported.",
    ]


@pytest.mark.parametrize(
    ("unset", "line"),
    [
        (
            "all",
            "error: the Selling Partner API is not configured: set "
            "DRAFTDESK_SP_API_REFRESH_TOKEN, DRAFTDESK_SP_API_CLIENT_ID, "
            "DRAFTDESK_SP_API_CLIENT_SECRET (or their …_FILE) and "
            "DRAFTDESK_SP_API_MARKETPLACE_IDS",
        ),
        (
            "DRAFTDESK_SP_API_CLIENT_SECRET",
            "error: the Selling Partner API is partly configured: "
            "set DRAFTDESK_SP_API_CLIENT_SECRET (credentials also "
            "as …_FILE)",
        ),
    ],
)
def test_missing_settings_are_one_line(
    seller_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    amazon: FakeAmazon,
    unset: str,
    line: str,
) -> None:
    for name in seller_env:
        if unset == name or (unset == "all" and name.startswith("DRAFTDESK_SP_API_")):
            monkeypatch.delenv(name)
    result = CliRunner().invoke(app, ["orders", "sync"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [line]
    assert amazon.token_requests == [] and amazon.requests == []


def test_credentials_from_files_and_an_unreadable_file(
    seller_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    amazon: FakeAmazon,
) -> None:
    secret = tmp_path / "client-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    token = tmp_path / "refresh-token"
    token.write_text(REFRESH_TOKEN)
    monkeypatch.delenv("DRAFTDESK_SP_API_CLIENT_SECRET")
    monkeypatch.setenv("DRAFTDESK_SP_API_REFRESH_TOKEN", "ignored: the file wins")
    monkeypatch.setenv("DRAFTDESK_SP_API_CLIENT_SECRET_FILE", str(secret))
    monkeypatch.setenv("DRAFTDESK_SP_API_REFRESH_TOKEN_FILE", str(token))
    runner = CliRunner()
    ok = runner.invoke(app, ["orders", "sync"])
    assert ok.exit_code == 0, ok.output
    assert amazon.token_requests[0]["client_secret"] == CLIENT_SECRET

    monkeypatch.setenv("DRAFTDESK_SP_API_CLIENT_SECRET_FILE", str(tmp_path / "missing"))
    missing = runner.invoke(app, ["orders", "sync"])
    assert missing.exit_code == 1
    assert missing.stderr.splitlines() == [
        f"error: cannot read DRAFTDESK_SP_API_CLIENT_SECRET_FILE ({tmp_path / 'missing'}): "
        "No such file or directory"
    ]


def test_a_bad_since_is_one_line(seller_env: dict[str, str]) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["orders", "sync", "--since", "last tuesday"])
    assert bad.exit_code == 1
    assert bad.stderr.splitlines() == [
        "error: --since 'last tuesday' is not a date (YYYY-MM-DD) or an ISO 8601 time"
    ]
    future = runner.invoke(app, ["orders", "sync", "--since", "2999-01-01"])
    assert future.exit_code == 1 and len(future.stderr.splitlines()) == 1


def test_refused_credentials_in_a_real_process_are_one_line_without_traceback(
    seller_env: dict[str, str],
    amazon: FakeAmazon,
) -> None:
    env = {**os.environ, **seller_env, "DRAFTDESK_SP_API_CLIENT_SECRET": "an-old-secret"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "orders", "sync"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: Login with Amazon refused the Selling Partner API credentials (invalid_client: "
        "Client authentication failed); check the refresh token, client id and client secret"
    ]
    assert "an-old-secret" not in result.stderr and REFRESH_TOKEN not in result.stderr
    assert amazon.requests == []  # no Orders call without a token
