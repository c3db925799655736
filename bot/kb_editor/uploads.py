"""Uploaded documents → new DRAFT articles, through the same loaders ``draftdesk ingest`` uses.

All or nothing: every file is loaded before anything is stored, and the articles are created
in the caller's transaction, so a bad file leaves the KB exactly as it was.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.kb_editor.errors import UploadRejected
from ingest.errors import IngestError
from knowledge_base import repository as kb
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.models import Article
from knowledge_base.schemas import ArticleCreate

if TYPE_CHECKING:
    from ingest.loaders import LoadedArticle

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
_FORMATS = "md, html, pdf, csv, docx, txt"


@dataclass(frozen=True)
class UploadedFile:
    """A file as the browser sent it (the name is untrusted)."""

    filename: str
    data: bytes


def safe_filename(filename: str) -> str:
    """The base name of an upload, reduced to safe characters, extension kept (lowercase)."""
    base = Path(filename.replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    clean_stem = re.sub(r"[^A-Za-z0-9._ -]+", "", stem).strip(" .") or "upload"
    clean_suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()
    return f"{clean_stem[:100]}.{clean_suffix}" if clean_suffix else clean_stem[:100]


def _load(upload: UploadedFile, folder: Path) -> list[LoadedArticle]:
    # The loaders (lxml, pypdf, python-docx) are imported by the first upload, not at start.
    from ingest.loaders import SUPPORTED_EXTENSIONS, load_file

    name = safe_filename(upload.filename)
    if Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise UploadRejected(
            f"{name}: not a supported file type ({_FORMATS})",
            code="unsupported_file_type", status=415,
        )
    if len(upload.data) > MAX_FILE_BYTES:
        raise UploadRejected(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    path = folder / name
    path.write_bytes(upload.data)
    try:
        return load_file(path)
    except (IngestError, KnowledgeBaseError) as exc:
        # Loader messages start with the path; show the user their own file name instead.
        message = exc.message.replace(f"{folder}/", "").replace(str(folder), "")
        raise UploadRejected(message, code=exc.code) from exc


def load_uploads(uploads: Sequence[UploadedFile]) -> list[tuple[str, LoadedArticle]]:
    """Load every upload (no database); the first bad file raises UploadRejected."""
    if not uploads:
        raise UploadRejected("choose at least one file to upload", code="no_file")
    if len(uploads) > MAX_FILES:
        raise UploadRejected(f"upload at most {MAX_FILES} files at a time", code="too_many_files")
    loaded: list[tuple[str, LoadedArticle]] = []
    with tempfile.TemporaryDirectory(prefix="draftdesk-upload-") as tmp:
        for number, upload in enumerate(uploads):
            # One folder per file so two uploads with the same name cannot collide.
            folder = Path(tmp) / str(number)
            folder.mkdir()
            name = safe_filename(upload.filename)
            loaded.extend((name, article) for article in _load(upload, folder))
    return loaded


def create_draft_articles(
    session: Session, *, uploads: Sequence[UploadedFile], actor: str
) -> list[Article]:
    """Create one DRAFT article per loaded document (a CSV FAQ: one per row).

    Ids come from the file (or front matter) and get a suffix when taken, so an upload never
    overwrites an existing article. Raises UploadRejected before storing anything.
    """
    loaded = load_uploads(uploads)
    articles: list[Article] = []
    for name, item in loaded:
        source = f"upload:{name}"
        if item.source != str(item.source).split("#", 1)[0]:
            source += "#" + item.source.split("#", 1)[1]  # keep a CSV row's "#row-N"
        articles.append(
            kb.create_article(
                session,
                content=ArticleCreate(id=item.article_id, **item.content.model_dump()),
                actor=actor, publish=False, source=source, note=f"uploaded from {name}",
            )
        )
    return articles
