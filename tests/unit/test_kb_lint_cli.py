"""``draftdesk kb lint`` through the real CLI: a folder or the published KB against a policy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests import with_fake_services

DEMO_KB = Path(__file__).resolve().parents[2] / "knowledge_base" / "demo"
KNIVES = "Knives have a 10-year warranty."


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A copy of the demo KB (articles and _seller/policy.yaml) to edit."""
    return Path(shutil.copytree(DEMO_KB, tmp_path / "demo"))


def test_the_demo_kb_agrees_with_its_policy() -> None:
    assert _run("kb", "lint", str(DEMO_KB)) == (0, "")
    assert _run("kb", "lint", str(DEMO_KB), "--json") == (0, "[]\n")


def test_one_edited_sentence_gives_exactly_one_finding(demo_copy: Path) -> None:
    warranty = demo_copy / "articles" / "warranty.md"
    text = warranty.read_text()
    assert KNIVES in text
    warranty.write_text(text.replace(KNIVES, "Knives have a 1-year warranty."))

    code, out = _run("kb", "lint", str(demo_copy))
    assert code == 1
    assert out.splitlines() == [
        'warranty: "Knives have a 1-year warranty." says 1 year; '
        "policy categories.knives.warranty_months says 120 months"
    ]
    code, out = _run("kb", "lint", str(demo_copy), "--json")
    assert code == 1
    assert json.loads(out) == [{
        "article_id": "warranty", "sentence": "Knives have a 1-year warranty.",
        "found": "1 year", "rule": "categories.knives.warranty_months",
        "expected": "120 months",
    }]


def test_the_policy_comes_from_the_option_the_folder_or_the_settings(
    demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    longer = tmp_path / "longer.yaml"
    longer.write_text((demo_copy / "_seller" / "policy.yaml").read_text().replace(
        "warranty_months: 120", "warranty_months: 60"))
    code, out = _run("kb", "lint", str(demo_copy), "--policy", str(longer))
    assert code == 1
    assert {line.split(" says ")[-1] for line in out.splitlines()} == {"60 months"}

    # A folder without _seller/policy.yaml is checked against the configured policy file.
    articles = demo_copy / "articles"
    monkeypatch.setenv("DRAFTDESK_POLICY_FILE", str(longer))
    code, out = _run("kb", "lint", str(articles))
    assert code == 1 and "categories.knives.warranty_months says 60 months" in out
    monkeypatch.delenv("DRAFTDESK_POLICY_FILE")
    assert _run("kb", "lint", str(articles)) == (0, "")  # the demo policy by default


def test_bad_input_is_one_error_line(demo_copy: Path, tmp_path: Path) -> None:
    code, out = _run("kb", "lint", str(tmp_path / "missing"))
    assert (code, out.strip()) == (1, f"error: {tmp_path / 'missing'}: no such file or directory")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = _run("kb", "lint", str(empty))
    assert code == 1 and out.startswith("error: ") and "no article files" in out
    assert len(out.strip().splitlines()) == 1

    (demo_copy / "_seller" / "policy.yaml").write_text("restocking_fee:\n  max_percent: 80\n")
    code, out = _run("kb", "lint", str(demo_copy))
    assert code == 1 and out.startswith("error: policy.yaml: restocking_fee.max_percent")
    assert len(out.strip().splitlines()) == 1
    code, out = _run("kb", "lint", str(DEMO_KB), "--policy", str(tmp_path / "nope.yaml"))
    assert (code, out.strip()) == (1, f"error: policy file not found: {tmp_path / 'nope.yaml'}")


def test_without_a_folder_the_published_articles_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DRAFTDESK_ENVIRONMENT", "test")
    with_fake_services.install(monkeypatch)
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "bedding.md").write_text(
        "---\nid: bedding-returns\nstatus: published\ntitle: Bedding returns\n---\n\n"
        "Bedding can be returned within 30 days of delivery.\n")
    (folder / "draft.md").write_text(
        "---\nid: knife-draft\nstatus: draft\ntitle: Knives\n---\n\n"
        "Knives have a 1-year warranty.\n")  # not published: drafts never see it
    code, out = _run("kb", "import", str(folder))
    assert code == 0, out

    code, out = _run("kb", "lint")
    assert code == 1
    assert out.splitlines() == [
        'bedding-returns: "Bedding can be returned within 30 days of delivery." says 30 days; '
        "policy categories.bedding.window_days says 60 days"
    ]
