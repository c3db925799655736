"""Uploaded DOCX files are refused when they would unpack too far (issue 15 §2, zip bombs)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from docx import Document as new_docx
from fastapi.testclient import TestClient

from bot.kb_editor.errors import UploadRejected
from bot.web.archive_limits import MAX_UNPACKED_XML_BYTES, check_archive
from knowledge_base import repository as kb
from tests.factories import add_user
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in


def docx_bytes(text: str = "We ship a new kettle within 2 days.") -> bytes:
    document = new_docx()
    document.add_heading("Replacement", level=1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    """``data`` (a DOCX) with ``name`` replaced or added, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != name:
                target.writestr(member, source.read(member))
        target.writestr(name, content)
    return out.getvalue()


def xml_bomb(unpacked: int) -> bytes:
    """A valid DOCX whose document part is padded (in an XML comment) to ``unpacked`` bytes."""
    data = docx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml")
    head, _, tail = xml.partition(b"<w:body>")
    padding = b"<!--" + b" " * (unpacked - len(xml)) + b"-->"
    return with_member(data, "word/document.xml", head + b"<w:body>" + padding + tail)


def test_an_ordinary_docx_and_files_that_are_not_zips_pass() -> None:
    check_archive("care.docx", docx_bytes())
    check_archive("care.docx", b"not a zip at all")  # the loader reports it as unreadable


def test_a_docx_that_unpacks_to_too_much_markup_is_refused_in_one_line() -> None:
    bomb = xml_bomb(2 * MAX_UNPACKED_XML_BYTES)
    assert len(bomb) < 200 * 1024
    with pytest.raises(UploadRejected) as raised:
        check_archive("care.docx", bomb)
    assert raised.value.status == 413 and raised.value.code == "archive_too_large"
    assert raised.value.message == "care.docx: unpacks to more than 8 MB of document markup"
    assert "\n" not in raised.value.message


def test_a_part_that_inflates_far_beyond_its_size_is_refused() -> None:
    blank = with_member(docx_bytes(), "word/media/blank.png", b"\0" * (2 * 1024 * 1024))
    with pytest.raises(UploadRejected, match="more than 100 times its size"):
        check_archive("care.docx", blank)


def test_the_upload_page_refuses_a_zip_bomb_and_imports_nothing(
    pages: TestClient, services: Any
) -> None:
    add_user(services.session_factory, email="lead@example.com", role="lead",
             password=TEST_PASSWORD)
    assert sign_in(pages, "lead@example.com", next_url="/kb").status_code == 303
    csrf = csrf_token_in(pages.get("/kb/upload").text)
    response = pages.post("/kb/upload", data={"csrf_token": csrf}, files=[
        ("files", ("gift-wrap.md", b"# Gift wrap\n\nWe wrap gifts.", "text/markdown")),
        ("files", ("Returns.docx", xml_bomb(20 * 1024 * 1024), "application/octet-stream")),
    ])
    assert response.status_code == 413
    assert "Nothing was imported" in response.text
    assert "Returns.docx: unpacks to more than 8 MB of document markup" in response.text
    with services.session_factory() as session:
        assert kb.list_articles(session) == []
