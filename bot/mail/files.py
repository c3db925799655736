"""Raw mails and attachments on disk under the data dir, addressed by their sha256
(storing the same bytes twice writes one file), encrypted with the data key when the store
has one (issue 16: buyer files are PII at rest like the database's buyer columns)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.mail.errors import MailError
from bot.mail.parsing import MailAttachment
from bot.protection.crypto import DataKeyring

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# The folders under the data dir that hold buyers' files, and what a store writes in them.
MAIL_FILES_FOLDER = "mail"
PHOTO_FILES_FOLDER = "buyer-photos"
BUYER_FILE_FOLDERS = (MAIL_FILES_FOLDER, PHOTO_FILES_FOLDER)
_STORE_FOLDERS = ("raw", "attachments")


@dataclass(frozen=True)
class MailFiles:
    """``root/raw/ab/<sha256>.eml`` and ``root/attachments/ab/<sha256>-<name>``.

    With a ``keyring`` every file is written as a Fernet token and :meth:`read` decrypts it;
    files written before encryption (plain bytes) are still read as they are."""

    root: Path
    keyring: DataKeyring | None = None

    def save_raw(self, raw: bytes) -> str:
        digest = hashlib.sha256(raw).hexdigest()
        return self._write(Path("raw") / digest[:2] / f"{digest}.eml", raw)

    def save_attachment(self, attachment: MailAttachment) -> dict[str, Any]:
        digest = hashlib.sha256(attachment.data).hexdigest()
        safe = _UNSAFE.sub("_", attachment.filename).strip("._")[:80] or "file"
        path = self._write(Path("attachments") / digest[:2] / f"{digest}-{safe}", attachment.data)
        return {
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": len(attachment.data),
            "sha256": digest,
            "path": path,
        }

    def path_of(self, relative: str) -> Path:
        return self.root / relative

    def existing(self, relative: str) -> Path | None:
        """The stored file at ``relative`` — None when it is missing or would lie outside
        the root (a recorded path is never trusted to stay inside it)."""
        root = self.root.resolve()
        try:
            target = (root / relative).resolve()
        except (OSError, ValueError):
            return None
        if not target.is_relative_to(root) or target == root or not target.is_file():
            return None
        return target

    def read(self, relative: str) -> bytes | None:
        """The stored file's original bytes, or None when it is missing (see :meth:`existing`).
        Raises DataKeyError when it was encrypted with a key this store does not have."""
        path = self.existing(relative)
        if path is None:
            return None
        return self.plain(path.read_bytes())

    def plain(self, stored: bytes) -> bytes:
        """``stored`` decrypted when it is one of our Fernet tokens, else as it is."""
        if self.keyring is not None and is_encrypted_file(stored):
            return self.keyring.decrypt_bytes(stored)
        return stored

    def rotate(self) -> int:
        """Re-encrypt every stored file under the keyring's current key (after a new key was
        added); plain files from before encryption are encrypted now. Returns the count."""
        if self.keyring is None:
            return 0
        rewritten = 0
        # Only what this store writes: the seller's outbound documents may live beside it.
        stored_files = [p for folder in _STORE_FOLDERS for p in (self.root / folder).rglob("*")]
        for path in sorted(stored_files):
            if not path.is_file() or path.name.startswith("."):
                continue
            stored = path.read_bytes()
            if is_encrypted_file(stored):
                fresh = self.keyring.rotate_bytes(stored)
            else:
                fresh = self.keyring.encrypt_bytes(stored)
            partial = path.with_name(f".{path.name}.{os.getpid()}.part")
            partial.write_bytes(fresh)
            os.replace(partial, path)  # a crash leaves the old or the new file, never half
            rewritten += 1
        return rewritten

    def _write(self, relative: Path, data: bytes) -> str:
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            partial.write_bytes(self.keyring.encrypt_bytes(data) if self.keyring else data)
            os.replace(partial, target)  # readers never see half a file
        return relative.as_posix()


def is_encrypted_file(stored: bytes) -> bool:
    """Whether file bytes are a Fernet token (version byte 0x80, urlsafe base64: "gAAAAA")."""
    return stored.startswith(b"gAAAAA")


# --- documents a reply may carry (issue 14: invoice, warranty, instructions; at most 5) ---

# The relay takes only these kinds of attachment (DOMAIN.md), told apart by the file name's
# prefix: ``invoice-….pdf``, ``warranty-….pdf``, ``instructions-….png``.
DOCUMENT_KINDS = ("invoice", "warranty", "instructions")
MAX_DOCUMENTS = 5
# DOMAIN.md names no size limit; 10 MB per file is what the relay is known to take.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_DOCUMENT_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


class DocumentRefused(MailError):
    """A chosen document may not go out; the message is safe to show to the agent."""

    code = "document_refused"
    status = 422


@dataclass(frozen=True)
class OutboundDocument:
    filename: str
    kind: str
    content_type: str
    size: int


@dataclass(frozen=True)
class OutboundDocuments:
    """The seller's documents an agent may attach to a reply by e-mail: the files directly in
    ``root`` whose name starts with a kind (``invoice-``, ``warranty-``, ``instructions-``),
    ending ``.pdf``, ``.png``, ``.jpg`` or ``.jpeg`` (content to match), ≤ 10 MB each."""

    root: Path
    max_bytes: int = MAX_DOCUMENT_BYTES

    def available(self) -> list[OutboundDocument]:
        """Every allowed document, by name (an unreadable or missing folder has none)."""
        try:
            names = sorted(p.name for p in self.root.iterdir())
        except OSError:
            return []
        found = []
        for name in names:
            try:
                found.append(self._check(name)[0])
            except DocumentRefused:
                continue
        return found

    def choose(self, names: list[str]) -> list[dict[str, Any]]:
        """The chosen documents as stored with the outbox row (``filename``,
        ``content_type``, ``size``, ``sha256``, ``path``); raises :class:`DocumentRefused`."""
        unique = list(dict.fromkeys(n.strip() for n in names if n.strip()))
        if len(unique) > MAX_DOCUMENTS:
            raise DocumentRefused(
                f"a reply through the marketplace may carry at most {MAX_DOCUMENTS} documents "
                f"({len(unique)} were chosen)"
            )
        chosen = []
        for name in unique:
            document, path, data = self._check(name)
            chosen.append(
                {
                    "filename": document.filename,
                    "content_type": document.content_type,
                    "size": document.size,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "path": str(path),
                }
            )
        return chosen

    def _check(self, name: str) -> tuple[OutboundDocument, Path, bytes]:
        shown = name[:80]
        if name != Path(name).name or "\\" in name or name.startswith(".") or "\x00" in name:
            raise DocumentRefused(f"“{shown}” is not a document of the documents folder")
        kind = name.split("-", 1)[0].lower() if "-" in name else ""
        suffix = Path(name).suffix.lower()
        if kind not in DOCUMENT_KINDS or suffix not in _DOCUMENT_TYPES:
            raise DocumentRefused(
                f"“{shown}” is not an allowed document: only invoices, warranties and "
                "instructions (invoice-…, warranty-…, instructions-…) as PDF, PNG or JPEG"
            )
        root = self.root.resolve()
        path = (root / name).resolve()
        if not path.is_relative_to(root) or path.parent != root or not path.is_file():
            raise DocumentRefused(f"there is no document “{shown}” in the documents folder")
        size = path.stat().st_size
        if size > self.max_bytes:
            raise DocumentRefused(f"“{shown}” is larger than {self.max_bytes // (1024 * 1024)} MB")
        data = path.read_bytes()
        content_type, magic = _DOCUMENT_TYPES[suffix]
        if not data.startswith(magic):
            raise DocumentRefused(f"“{shown}” is not really a {suffix[1:].upper()} file")
        return OutboundDocument(name, kind, content_type, len(data)), path, data


def read_document(stored: dict[str, Any]) -> bytes:
    """The bytes of a document chosen at approval — refused when the file is gone or is no
    longer the one the agent approved (its sha256 changed)."""
    name = str(stored.get("filename", ""))
    try:
        data = Path(str(stored["path"])).read_bytes()
    except (KeyError, OSError) as exc:
        raise DocumentRefused(f"the document “{name}” is no longer there") from exc
    if hashlib.sha256(data).hexdigest() != stored.get("sha256"):
        raise DocumentRefused(f"the document “{name}” changed after the reply was approved")
    return data
