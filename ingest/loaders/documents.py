"""Office formats: PDF (pypdf, text per page) and Word DOCX (python-docx, with headings).

pypdf and python-docx are imported by the loader that needs them: the web app imports the
loaders for its upload page, and an API-only process must start quickly (issue 17).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import ArchiveTooLarge, CorruptDocument, EmptyDocument
from ingest.loaders.archives import archive_problem
from ingest.loaders.base import (
    Block,
    LoadedArticle,
    join_blocks,
    make_content,
    normalise_document_text,
    one_line,
    split_title_line,
    title_from_stem,
)
from knowledge_base.repository import slugify

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from pypdf import PdfReader


def load_pdf(path: Path, data: bytes) -> list[LoadedArticle]:
    """A PDF's text layer, page by page; title from metadata or the first line."""
    # A malformed file makes a parser raise nearly anything (ValueError, KeyError,
    # struct/zlib errors...); for an uploaded file every one of those means "corrupt".
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise CorruptDocument(
                f"{path}: is password-protected; remove the password and try again"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except CorruptDocument:
        raise
    except Exception as exc:
        raise CorruptDocument(
            f"{path}: is not a readable PDF ({type(exc).__name__}: {one_line(str(exc))})"
        ) from exc
    text = normalise_document_text("\n\n".join(page.strip() for page in pages if page.strip()))
    if not text.strip():
        raise EmptyDocument(f"{path}: has no text layer (a scan? run OCR first)")
    title = one_line(normalise_document_text(str(meta_title)))
    if title:
        body = text.strip()
    else:
        title, body = split_title_line(text, path)
    content = make_content(path, title=title, body=body)
    return [LoadedArticle(article_id=slugify(path.stem), content=content, source=str(path))]


def _opens_without_password(reader: PdfReader) -> bool:
    """Owner-password-only PDFs (print/copy restrictions) open with an empty password."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without a crypto library: treat as locked
        return False


_HEADING_STYLE = re.compile(r"^heading ([1-9])$", re.IGNORECASE)


def load_docx(path: Path, data: bytes) -> list[LoadedArticle]:
    """A Word document: Heading 1–3 become ``#``–``###``; paragraphs, lists and tables."""
    problem = archive_problem(data)
    if problem is not None:  # before python-docx unpacks a zip bomb
        raise ArchiveTooLarge(f"{path}: {problem}")
    from docx import Document as open_docx
    from docx.table import Table

    try:
        document = open_docx(io.BytesIO(data))
        blocks: list[Block] = []
        first_heading = ""
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks.extend(_table_rows(item))
                continue
            block, heading = _paragraph_block(item)
            if block is not None:
                blocks.append(block)
            first_heading = first_heading or heading
        core_title = document.core_properties.title or ""
    except Exception as exc:  # see load_pdf: malformed files raise arbitrary errors
        raise CorruptDocument(
            f"{path}: is not a readable DOCX ({type(exc).__name__}: {one_line(str(exc))})"
        ) from exc
    body = normalise_document_text(join_blocks(blocks))
    if not body.strip():
        raise EmptyDocument(f"{path}: has no text")
    title = one_line(normalise_document_text(core_title)) or first_heading or title_from_stem(path)
    content = make_content(path, title=title, body=body)
    return [LoadedArticle(article_id=slugify(path.stem), content=content, source=str(path))]


def _paragraph_block(paragraph: Paragraph) -> tuple[Block | None, str]:
    """The paragraph as a block, and its text if it is a title or a heading."""
    text = normalise_document_text(paragraph.text).strip()
    if not text:
        return None, ""
    style = (paragraph.style.name if paragraph.style is not None else None) or ""
    if style.lower() == "title":
        return Block("# " + one_line(text)), one_line(text)
    match = _HEADING_STYLE.match(style)
    if match:
        level = int(match.group(1))
        if level <= 3:
            return Block("#" * level + " " + one_line(text)), one_line(text)
        return Block(one_line(text)), ""  # deeper headings read as plain paragraphs
    if _is_list_paragraph(paragraph, style):
        marker = "1. " if "number" in style.lower() else "- "
        return Block(marker + text, group="list"), ""
    return Block(text), ""


def _is_list_paragraph(paragraph: Paragraph, style: str) -> bool:
    if style.lower().startswith("list"):
        return True
    # Lists made with Word's toolbar keep "Normal" style and carry numbering properties.
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def _table_rows(table: Table) -> list[Block]:
    rows: list[Block] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = one_line(normalise_document_text(cell.text))
            if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                cells.append(text)
        if cells:
            rows.append(Block(" | ".join(cells), group="table"))
    return rows
