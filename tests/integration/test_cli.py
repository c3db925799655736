"""The CLI as a user runs it: a real subprocess with its own data dir."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_KB, REPO_ROOT

# Every command here that reaches the index loads the real model in its own process.
pytestmark = pytest.mark.slow


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DRAFTDESK_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=REPO_ROOT, env=env, capture_output=True,
        text=True, timeout=240, check=False,
    )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data_dir = tmp_path_factory.mktemp("cli-data")
    kb = tmp_path_factory.mktemp("cli-kb") / "kb"
    shutil.copytree(DEMO_KB, kb, ignore=shutil.ignore_patterns("translations"))
    first = run_cli(data_dir, "ingest", str(kb), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["embedded"] == report["chunks"] > 0 and report["failed"] == []
    return data_dir, kb


def test_reingest_embeds_nothing_then_only_the_edited_article(ingested: tuple[Path, Path]) -> None:
    data_dir, kb = ingested
    again = json.loads(run_cli(data_dir, "ingest", str(kb), "--json").stdout)
    assert again["embedded"] == 0
    article = kb / "articles" / "warranty.md"
    article.write_text(article.read_text() + "\nWe also cover the lid hinge.\n")
    edited = json.loads(run_cli(data_dir, "ingest", str(kb), "--json").stdout)
    assert 0 < edited["embedded"] < again["chunks"]
    assert edited["embedded"] == edited["deleted"]


def test_ask_json_contract(ingested: tuple[Path, Path]) -> None:
    data_dir, _ = ingested
    result = run_cli(data_dir, "ask", "my package never arrived, order 112-3456789-1234567",
                     "--json")
    assert result.returncode == 0, result.stderr
    draft = json.loads(result.stdout)
    assert {"text", "handoff", "confidence", "intents", "citations", "checks", "composer"} <= set(
        draft
    )
    assert draft["handoff"] is False
    assert {"article_id", "revision", "title", "chunk_id", "translation_of"} == set(
        draft["citations"][0]
    )
    pizza = json.loads(run_cli(data_dir, "ask", "what's a good pizza place in Seattle?",
                               "--json").stdout)
    assert pizza["handoff"] is True


def test_bad_input_gets_one_clean_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "notes.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really")
    result = run_cli(tmp_path / "data", "ingest", str(bad), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["failed"][0]["path"].endswith("notes.xlsx")
    assert "Traceback" not in result.stderr
    empty = run_cli(tmp_path / "data", "ask", "   ")
    assert empty.returncode == 1
    assert "the message is empty" in empty.stderr
    assert "Traceback" not in empty.stderr
