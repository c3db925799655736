"""``draftdesk orders`` as a seller uses it: import a report with broken rows, load the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import REPO_ROOT

SELLER = REPO_ROOT / "knowledge_base" / "demo" / "_seller"
REPORT = SELLER / "order_report_example.tsv"
OWN_CSV = SELLER / "orders_example.csv"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_import_lists_broken_rows_with_line_numbers(runner: CliRunner) -> None:
    result = runner.invoke(app, ["orders", "import", str(REPORT)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Imported 4 orders (5 rows): 4 new, 0 updated, 0 unchanged."
    assert lines[1:5] == [
        "line 5: quantity 'two' is not a whole number",
        "line 6: order-status: unknown order status 'Lost in space'",
        "line 8: purchase-date 'yesterday' is not an ISO date (YYYY-MM-DD)",
        "line 9: order 114-1000006-0000006 not imported: line(s) 8 of the same order could not "
        "be read",
    ]
    again = runner.invoke(app, ["orders", "import", str(REPORT), "--json"])
    report = json.loads(again.stdout)
    assert again.exit_code == 1
    assert (report["imported"], report["inserted"], report["unchanged"]) == (4, 0, 4)
    assert [failure["line"] for failure in report["failed"]] == [5, 6, 8, 9]


def test_clean_file_exits_zero_and_bad_file_is_one_clean_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text("".join(OWN_CSV.read_text(encoding="utf-8").splitlines(True)[:4]), "utf-8")
    result = runner.invoke(app, ["orders", "import", str(clean)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Imported 2 orders (3 rows): 2 new")
    unknown = tmp_path / "notes.csv"
    unknown.write_text("name,age\nx,1\n", encoding="utf-8")
    failed = runner.invoke(app, ["orders", "import", str(unknown)])
    assert failed.exit_code == 1
    assert failed.stderr.startswith("error: unknown order file")


def test_load_demo_is_relative_to_today_and_idempotent(runner: CliRunner) -> None:
    with time_machine.travel(datetime(2027, 3, 15, 12, 0, tzinfo=UTC), tick=False):
        first = runner.invoke(app, ["orders", "load-demo"])
        second = runner.invoke(app, ["orders", "load-demo", "--json"])
    assert first.exit_code == 0 and "17 new" in first.stdout
    assert json.loads(second.stdout)["unchanged"] == 17
    shown = runner.invoke(app, ["orders", "show", "112-3456789-1234567", "--json"])
    facts = json.loads(shown.stdout)
    assert facts["delivered_at"] == (date(2027, 3, 5)).isoformat()
    assert facts["items"][0]["category"] == "small_appliances"
    text = runner.invoke(app, ["orders", "show", "112-2233445-5566778"]).stdout
    assert "carrier: UPS" in text and "tracking: 1Z999AA10987654321" in text
    assert "expected: 2027-03-17" in text
    missing = runner.invoke(app, ["orders", "show", "999-0000000-0000000"])
    assert missing.exit_code == 1 and "no order 999-0000000-0000000" in missing.stderr


def test_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "DRAFTDESK_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "orders", "import", str(OWN_CSV)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "Imported 3 orders (4 rows): 3 new, 0 updated, 0 unchanged.",
        "line 6: delivered_at (2026-10-03) is before the purchase date (2026-10-05)",
        "1 row(s) not imported.",
    ]
