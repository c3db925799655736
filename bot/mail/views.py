"""The mail channel as reviewers see it: how each reply by e-mail fared, the files buyers
attached, the mails kept aside — and the stored files to download, typed safely.

Plain values for the console and Slack; every function takes the session.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.mail import repository as repo
from bot.mail.errors import MailNotFound
from bot.mail.files import MailFiles
from bot.mail.models import InboundMail, OutboundMail

# Kinds of mail a person looks at because they became no buyer message.
KEPT_ASIDE = ("not_from_amazon", "unparseable")
# What a buyer's attachment may be served as: its declared type, only when the bytes agree.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
OPAQUE = "application/octet-stream"
RAW_MAIL_TYPE = "message/rfc822"


@dataclass(frozen=True)
class Delivery:
    """One reply by e-mail: ``pending``/``sending`` (waiting), ``sent`` or ``failed``."""

    outbound_id: int
    conversation_id: str
    draft_id: int | None
    status: str
    to_address: str
    attempts: int
    last_error: str | None
    server_reply: str | None
    created_at: datetime
    sent_at: datetime | None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def waiting(self) -> bool:
        return self.status in ("pending", "sending")

    @property
    def delivered(self) -> bool:
        return self.status == "sent"


def delivery_of(row: OutboundMail) -> Delivery:
    return Delivery(
        outbound_id=row.id,
        conversation_id=row.conversation_id,
        draft_id=row.draft_id,
        status=row.status,
        to_address=row.to_address,
        attempts=row.attempts,
        last_error=row.last_error,
        server_reply=row.server_reply,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def delivery(session: Session, *, outbound_id: int) -> Delivery:
    """One reply by e-mail; raises :class:`MailNotFound`."""
    row = session.get(OutboundMail, outbound_id)
    if row is None:
        raise MailNotFound("there is no such reply by e-mail")
    return delivery_of(row)


def draft_delivery(session: Session, *, draft_id: int) -> Delivery | None:
    row = repo.outbound_of_draft(session, draft_id=draft_id)
    return delivery_of(row) if row is not None else None


def conversation_deliveries(session: Session, *, conversation_id: str) -> list[Delivery]:
    """Every reply by e-mail of the conversation, oldest first."""
    return [
        delivery_of(row)
        for row in repo.outbound_of_conversation(session, conversation_id=conversation_id)
    ]


def failed_deliveries(
    session: Session, *, limit: int = 100, created_after: datetime | None = None
) -> list[Delivery]:
    """Replies the server refused for good, newest first."""
    return [
        delivery_of(row)
        for row in repo.list_outbound(
            session, statuses=["failed"], limit=limit, created_after=created_after
        )
    ]


@dataclass(frozen=True)
class MailFile:
    """A file a buyer attached (``index`` in its mail's list)."""

    inbound_id: int
    index: int
    filename: str
    content_type: str
    size: int


def attachments_by_message(session: Session, *, conversation_id: str) -> dict[int, list[MailFile]]:
    """The conversation's buyer messages (by message id) → the files their mail carried."""
    found: dict[int, list[MailFile]] = {}
    for mail in repo.buyer_mails_of_conversation(session, conversation_id=conversation_id):
        files = [
            MailFile(
                inbound_id=mail.id,
                index=index,
                filename=str(item.get("filename") or f"attachment-{index + 1}"),
                content_type=str(item.get("content_type") or OPAQUE),
                size=int(item.get("size") or 0),
            )
            for index, item in enumerate(mail.attachments or [])
        ]
        if files and mail.buyer_message_id is not None:
            found[mail.buyer_message_id] = files
    return found


@dataclass(frozen=True)
class KeptMail:
    """A mail that became no buyer message, and why."""

    id: int
    kind: str
    from_address: str | None
    subject: str
    sent_at: datetime | None
    received_at: datetime
    reason: str | None
    raw_bytes: int
    source: str


def kept_aside(
    session: Session, *, kinds: Collection[str] = KEPT_ASIDE, limit: int = 200
) -> list[KeptMail]:
    """What ``draftdesk mail list`` prints: not from Amazon or unreadable, newest first."""
    return [
        KeptMail(
            id=row.id,
            kind=row.kind,
            from_address=row.from_address,
            subject=row.subject,
            sent_at=row.sent_at,
            received_at=row.received_at,
            reason=row.reason,
            raw_bytes=row.raw_bytes,
            source=row.source,
        )
        for row in repo.list_inbound(session, kinds=kinds, limit=limit)
    ]


@dataclass(frozen=True)
class Download:
    """A stored file to hand to a signed-in person, always as an attachment."""

    data: bytes
    filename: str
    content_type: str


def attachment_download(
    session: Session, files: MailFiles, *, inbound_id: int, index: int
) -> Download:
    """The ``index``-th file of a buyer's mail; raises :class:`MailNotFound`."""
    mail = session.get(InboundMail, inbound_id)
    items = mail.attachments if mail is not None and mail.kind == "buyer" else []
    if not 0 <= index < len(items or []):
        raise MailNotFound("no such attachment")
    item = items[index]
    data = files.read(str(item.get("path") or ""))
    if data is None:
        raise MailNotFound("the attachment's file is missing")
    filename = str(item.get("filename") or f"attachment-{index + 1}")
    return Download(
        data=data,
        filename=filename,
        content_type=served_type(str(item.get("content_type") or ""), data[:16]),
    )


def raw_download(session: Session, files: MailFiles, *, inbound_id: int) -> Download:
    """A stored mail as it arrived (.eml); raises :class:`MailNotFound`."""
    mail = session.get(InboundMail, inbound_id)
    data = files.read(mail.raw_path) if mail is not None else None
    if mail is None or data is None:
        raise MailNotFound("no such mail")
    return Download(data=data, filename=f"mail-{mail.id}.eml", content_type=RAW_MAIL_TYPE)


def served_type(declared: str, head: bytes) -> str:
    """The declared type when it is an image or PDF and the file's first bytes agree;
    anything else (HTML, scripts, a lie) is served as opaque bytes."""
    kind = declared.split(";", 1)[0].strip().lower()
    if kind == "image/jpg":
        kind = "image/jpeg"
    if kind == "image/webp":
        return kind if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else OPAQUE
    signatures = _SIGNATURES.get(kind)
    return kind if signatures and head.startswith(signatures) else OPAQUE


@dataclass(frozen=True)
class ConversationMail:
    """What the console shows of a mail conversation: its replies and the buyer's files."""

    deliveries: list[Delivery]
    attachments: dict[int, list[MailFile]]

    def shown_for(self, draft_id: int | None) -> list[Delivery]:
        """Every reply of the conversation that is undelivered or still waiting, and the
        draft's own reply whatever became of it (without a draft: the newest reply)."""
        newest = self.deliveries[-1] if self.deliveries else None
        return [
            d
            for d in self.deliveries
            if d.failed
            or d.waiting
            or (d.draft_id == draft_id if draft_id is not None else d is newest)
        ]


def conversation_mail(session: Session, *, conversation_id: str) -> ConversationMail:
    return ConversationMail(
        deliveries=conversation_deliveries(session, conversation_id=conversation_id),
        attachments=attachments_by_message(session, conversation_id=conversation_id),
    )
