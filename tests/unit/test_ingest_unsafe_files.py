"""A KB folder never publishes what lies outside it, and never hangs (issue 15, finding 5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.loaders import load_file
from ingest.pipeline import load_sources

ARTICLE = "---\ntitle: Returns\n---\n\nYou can return most items within 30 days.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "returns.md").write_text(ARTICLE)
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\n\nroot:x:0:0\n")
    (kb / "passwd.md").symlink_to(secret)                  # out of the folder
    (kb / "loop.md").symlink_to(kb / "loop.md")            # a link to itself
    (kb / "broken.md").symlink_to(kb / "missing.md")       # a link to nothing
    (kb / "same-returns.md").symlink_to(kb / "returns.md")  # inside: fine, read once
    os.mkfifo(kb / "pipe.md")                              # reading would block forever
    return kb


def test_only_the_folders_own_files_are_loaded_and_the_rest_named(folder: Path) -> None:
    loaded, failed = load_sources([folder])
    assert [a.content.title for a in loaded] == ["Returns"]
    why = {Path(f.path).name: f.error for f in failed}
    assert set(why) == {"passwd.md", "loop.md", "broken.md", "pipe.md"}
    assert why["passwd.md"].endswith("is a link to a file outside the folder")
    assert why["loop.md"].endswith("is a broken or looping link")
    assert why["broken.md"].endswith("is a broken or looping link")
    assert why["pipe.md"].endswith("is not a regular file (a pipe, device or socket)")
    assert all("\n" not in error for error in why.values())


def test_a_pipe_named_directly_is_refused_without_reading(folder: Path) -> None:
    with pytest.raises(IngestError, match="not a regular file"):
        load_file(folder / "pipe.md")


def test_a_docx_that_would_unpack_to_60_mb_is_refused_before_parsing(tmp_path: Path) -> None:
    from tests.web.test_upload_limits import docx_bytes, xml_bomb

    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "bomb.docx").write_bytes(xml_bomb(60 * 1024 * 1024))
    (kb / "fine.docx").write_bytes(docx_bytes())
    assert (kb / "bomb.docx").stat().st_size < 1024 * 1024  # small on disk
    loaded, failed = load_sources([kb])
    assert [a.article_id for a in loaded] == ["fine"]
    [refused] = failed
    assert refused.error.endswith("bomb.docx: unpacks to more than 32 MB")
