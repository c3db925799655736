"""Raw mails and attachments on disk under the data dir, addressed by their sha256
(storing the same bytes twice writes one file)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.mail.parsing import MailAttachment

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class MailFiles:
    """``root/raw/ab/<sha256>.eml`` and ``root/attachments/ab/<sha256>-<name>``."""

    root: Path

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

    def _write(self, relative: Path, data: bytes) -> str:
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            partial.write_bytes(data)
            os.replace(partial, target)  # readers never see half a file
        return relative.as_posix()
