"""Decompressed-size limits for uploaded DOCX files (zip bombs), checked before parsing.

A DOCX is a zip archive. Python's ``zipfile`` never inflates a member past the size the
archive's directory declares for it (it stops there and fails the CRC check), so bounding
the declared sizes bounds what python-docx can ever unpack while it parses. A 200 KB file
that declares 60 MB of XML is refused in microseconds instead of being parsed for a minute.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from bot.kb_editor.errors import UploadRejected
from bot.kb_editor.uploads import UploadedFile, safe_filename

ZIP_FORMATS = (".docx",)
MAX_UNPACKED_BYTES = 32 * 1024 * 1024  # everything in the archive, images included
MAX_UNPACKED_XML_BYTES = 8 * 1024 * 1024  # the markup python-docx parses
MAX_MEMBERS = 2_000
MAX_RATIO = 100  # unpacked / packed, for members big enough to matter
RATIO_FLOOR_BYTES = 1024 * 1024


def _rejected(name: str, why: str) -> UploadRejected:
    return UploadRejected(f"{name}: {why}", code="archive_too_large", status=413)


def check_archive(name: str, data: bytes) -> None:
    """Refuse an archive whose members would unpack beyond the limits (one clear line)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip at all: the loader says "not a readable DOCX"
    if len(members) > MAX_MEMBERS:
        raise _rejected(name, f"holds more than {MAX_MEMBERS} parts")
    total = sum(member.file_size for member in members)
    markup = sum(member.file_size for member in members
                 if member.filename.lower().endswith((".xml", ".rels")))
    if total > MAX_UNPACKED_BYTES:
        raise _rejected(name, f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB")
    if markup > MAX_UNPACKED_XML_BYTES:
        raise _rejected(
            name, f"unpacks to more than {MAX_UNPACKED_XML_BYTES // 2**20} MB of document markup"
        )
    for member in members:
        if (member.file_size > RATIO_FLOOR_BYTES
                and member.file_size > MAX_RATIO * max(member.compress_size, 1)):
            raise _rejected(name, f"a part unpacks to more than {MAX_RATIO} times its size")


def check_archives(files: Sequence[UploadedFile]) -> None:
    """:func:`check_archive` for every zip-based upload; other formats pass untouched."""
    for upload in files:
        name = safe_filename(upload.filename)
        if name.lower().endswith(ZIP_FORMATS):
            check_archive(name, upload.data)
