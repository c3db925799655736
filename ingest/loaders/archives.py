"""Decompressed-size limits for zip-based documents (DOCX), checked before parsing.

A DOCX is a zip archive. Python's ``zipfile`` never inflates a member past the size the
archive's directory declares for it (it stops there and fails the CRC check), so bounding
the declared sizes bounds what python-docx can ever unpack while it parses. A 200 KB file
that declares 60 MB of XML is refused in microseconds instead of being parsed for a minute
— by ``draftdesk ingest`` and by the editor's upload alike.
"""

from __future__ import annotations

import io
import zipfile

MAX_UNPACKED_BYTES = 32 * 1024 * 1024  # everything in the archive, images included
MAX_UNPACKED_XML_BYTES = 8 * 1024 * 1024  # the markup python-docx parses
MAX_MEMBERS = 2_000
MAX_RATIO = 100  # unpacked / packed, for members big enough to matter
RATIO_FLOOR_BYTES = 1024 * 1024


def archive_problem(data: bytes) -> str | None:
    """Why the archive would unpack beyond the limits, or ``None`` (also for non-zips: the
    loader then says the file is not readable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if len(members) > MAX_MEMBERS:
        return f"holds more than {MAX_MEMBERS} parts"
    total = sum(member.file_size for member in members)
    markup = sum(member.file_size for member in members
                 if member.filename.lower().endswith((".xml", ".rels")))
    if total > MAX_UNPACKED_BYTES:
        return f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB"
    if markup > MAX_UNPACKED_XML_BYTES:
        return f"unpacks to more than {MAX_UNPACKED_XML_BYTES // 2**20} MB of document markup"
    for member in members:
        if (member.file_size > RATIO_FLOOR_BYTES
                and member.file_size > MAX_RATIO * max(member.compress_size, 1)):
            return f"a part unpacks to more than {MAX_RATIO} times its size"
    return None
