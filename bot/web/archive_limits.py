"""Uploaded DOCX files (zip bombs) are refused with a 413 before parsing; the limits are
ingest's own (:mod:`ingest.loaders.archives`), so ``draftdesk ingest`` applies them too."""

from __future__ import annotations

from collections.abc import Sequence

from bot.kb_editor.errors import UploadRejected
from bot.kb_editor.uploads import UploadedFile, safe_filename
from ingest.loaders.archives import MAX_UNPACKED_XML_BYTES, archive_problem

__all__ = ["MAX_UNPACKED_XML_BYTES", "check_archive", "check_archives"]

ZIP_FORMATS = (".docx",)


def check_archive(name: str, data: bytes) -> None:
    """Refuse an archive whose members would unpack beyond the limits (one clear line)."""
    problem = archive_problem(data)
    if problem is not None:
        raise UploadRejected(f"{name}: {problem}", code="archive_too_large", status=413)


def check_archives(files: Sequence[UploadedFile]) -> None:
    """:func:`check_archive` for every zip-based upload; other formats pass untouched."""
    for upload in files:
        name = safe_filename(upload.filename)
        if name.lower().endswith(ZIP_FORMATS):
            check_archive(name, upload.data)
