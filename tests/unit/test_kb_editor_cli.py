"""``draftdesk kb export`` / ``kb import`` through the real CLI (fake embedder and index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings
from knowledge_base import repository as kb
from knowledge_base.db import make_engine, make_session_factory
from knowledge_base.schemas import ArticlePublic
from tests import with_fake_services

DEMO_ARTICLES = Path(__file__).resolve().parents[2] / "knowledge_base" / "demo" / "articles"


def _use(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("DRAFTDESK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DRAFTDESK_ENVIRONMENT", "test")
    with_fake_services.install(monkeypatch)


def _articles(data_dir: Path) -> dict[str, ArticlePublic]:
    engine = make_engine(Settings(data_dir=data_dir).resolved_database_url)
    with make_session_factory(engine)() as session:
        found = {a.id: kb.to_public(a) for a in kb.list_articles(session)}
    engine.dispose()
    return found


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_demo_kb_round_trips_through_export_and_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, tmp_path / "first")
    code, out = _run("kb", "import", str(DEMO_ARTICLES), "--json")
    assert code == 0, out
    assert json.loads(out)["created"] == 37
    first = _articles(tmp_path / "first")
    assert {a.status for a in first.values()} == {"draft"}  # files without a status

    exported = tmp_path / "export"
    code, out = _run("kb", "export", str(exported))
    assert (code, out.strip()) == (0, "37 articles exported")
    warranty = (exported / "warranty.md").read_text()
    assert warranty.startswith("---\nid: warranty\nstatus: draft\ntitle: Our warranty\n")

    # Publish one in the files, as a lead reviewing them in git would.
    (exported / "warranty.md").write_text(warranty.replace("status: draft", "status: published"))
    _use(monkeypatch, tmp_path / "second")
    code, out = _run("kb", "import", str(exported), "--json")
    assert code == 0, out
    second = _articles(tmp_path / "second")
    fields = ("title", "body", "intents", "questions", "tags", "locale")
    assert {k: [getattr(v, f) for f in fields] for k, v in second.items()} == {
        k: [getattr(v, f) for f in fields] for k, v in first.items()
    }
    assert second["warranty"].status == "published"
    assert sum(a.status == "published" for a in second.values()) == 1

    code, out = _run("kb", "import", str(exported), "--json")
    assert json.loads(out) == {"written": 0, "created": 0, "updated": 0, "unchanged": 37,
                               "deleted": 0}


def test_changed_file_adds_a_revision_prune_deletes_and_a_bad_file_imports_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("---\nid: gift-wrap\nstatus: published\ntitle: Gift wrap\n"
                                 "---\n\nWe wrap gifts for free.\n")
    (folder / "b.md").write_text("---\nid: engraving\ntitle: Engraving\n---\n\nWe engrave.\n")
    _use(monkeypatch, tmp_path / "data")
    assert _run("kb", "import", str(folder))[0] == 0

    (folder / "a.md").write_text((folder / "a.md").read_text().replace("free", "£2"))
    (folder / "b.md").unlink()
    code, out = _run("kb", "import", str(folder), "--prune")
    assert (code, out.strip()) == (0, "0 created, 1 updated, 0 unchanged, 1 deleted")
    articles = _articles(tmp_path / "data")
    assert set(articles) == {"gift-wrap"}
    assert (articles["gift-wrap"].revision, articles["gift-wrap"].published_revision) == (2, 2)

    (folder / "c.md").write_text("---\ntitle: [unclosed\n---\n\nText.\n")
    (folder / "a.md").write_text((folder / "a.md").read_text().replace("£2", "£3"))
    code, out = _run("kb", "import", str(folder))
    assert code == 1
    assert "error:" in out and "nothing was imported" in out and "c.md" in out
    assert "Traceback" not in out
    assert _articles(tmp_path / "data")["gift-wrap"].revision == 2
