"""Photos a buyer attaches in the chat (issue 18: damage photos), shown to agents.

At most ``MAX_PHOTOS`` per message, ``MAX_PHOTO_BYTES`` each, JPEG, PNG or WebP as Pillow
reads them from the bytes (the file name and the declared type are never trusted). The
files are stored by a ``PhotoStore`` the composition root hands in (the mail channel's
content-addressed store); the rows tie them to the buyer message they came with, which is
stored like any other message (``[photo: NAME]`` lines, plus the buyer's caption).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel
from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.conversations.errors import ConversationNotFound, InvalidMessage
from bot.conversations.models import Message
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Pillow's format name → the type we store and serve.
PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_UNSAFE_NAME = re.compile(r"[^\w .()-]+")


class BuyerPhoto(Base):
    __tablename__ = "buyer_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Relative to the store's root (never trusted to stay inside it when read back).
    path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class PhotoRefused(InvalidMessage):
    """Not a JPEG/PNG/WebP, too large, or too many at once."""

    code = "photo_refused"
    status = 422


@dataclass(frozen=True)
class UploadedPhoto:
    filename: str
    data: bytes


class PhotoPublic(BaseModel):
    id: int
    message_id: int
    filename: str
    content_type: str
    size: int
    created_at: datetime


# (data, filename, content type) → at least {"sha256": …, "path": …}
PhotoStore = Callable[[bytes, str, str], Mapping[str, Any]]


def photo_type(data: bytes) -> str:
    """The photo's content type, read from its bytes; PhotoRefused for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()  # structure, not just the first bytes; pixels are not decoded
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise PhotoRefused("photos must be JPEG, PNG or WebP images") from None
    if kind not in PHOTO_TYPES:
        raise PhotoRefused("photos must be JPEG, PNG or WebP images")
    return PHOTO_TYPES[kind]


def check_photos(photos: Sequence[UploadedPhoto]) -> list[str]:
    """The content type of each photo, or PhotoRefused naming what is wrong."""
    if not photos:
        raise PhotoRefused("attach at least one photo")
    if len(photos) > MAX_PHOTOS:
        raise PhotoRefused(f"at most {MAX_PHOTOS} photos per message")
    for photo in photos:
        if len(photo.data) > MAX_PHOTO_BYTES:
            raise PhotoRefused(f"each photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    return [photo_type(photo.data) for photo in photos]


def display_name(filename: str, *, index: int) -> str:
    name = _UNSAFE_NAME.sub("_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" ._")
    return name[:80] or f"photo-{index}"


def photo_message_text(names: Sequence[str], caption: str | None) -> str:
    lines = [caption.strip()] if caption and caption.strip() else []
    return "\n".join(lines + [f"[photo: {name}]" for name in names])


def record_photos(
    session: Session, message: Message, *, photos: Sequence[UploadedPhoto],
    names: Sequence[str], types: Sequence[str], store: PhotoStore,
) -> None:
    """Store the files and their rows with ``message`` (in the message's transaction)."""
    for photo, name, content_type in zip(photos, names, types, strict=True):
        saved = store(photo.data, name, content_type)
        session.add(BuyerPhoto(
            conversation_id=message.conversation_id, message_id=message.id, filename=name,
            content_type=content_type, size=len(photo.data), sha256=str(saved["sha256"]),
            path=str(saved["path"]), created_at=message.created_at,
        ))


def photos_of(session: Session, *, conversation_id: str) -> list[PhotoPublic]:
    rows = session.scalars(select(BuyerPhoto).where(
        BuyerPhoto.conversation_id == conversation_id).order_by(BuyerPhoto.id)).all()
    return [PhotoPublic(id=r.id, message_id=r.message_id, filename=r.filename,
                        content_type=r.content_type, size=r.size, created_at=r.created_at)
            for r in rows]


def photo_file(session: Session, *, conversation_id: str, photo_id: int) -> BuyerPhoto:
    photo = session.get(BuyerPhoto, photo_id)
    if photo is None or photo.conversation_id != conversation_id:
        raise ConversationNotFound("no such photo")
    return photo
