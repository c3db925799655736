"""Approved replies to mail conversations: queued in the approval's transaction, composed
as the relay expects (plain text, ``Re:`` subject, threaded), sent by :mod:`bot.mail.smtp`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.conversations.errors import InvalidMessage
from bot.conversations.models import Conversation, Message
from bot.mail import repository as repo
from bot.mail.files import MAX_DOCUMENTS, read_document
from bot.mail.models import OutboundMail
from knowledge_base.clock import Clock, utcnow

# The marketplace's limit for most buyer-message replies (DOMAIN.md).
DEFAULT_MAX_REPLY_CHARS = 2000
_SMTP_POLICY = policy.SMTP.clone(max_line_length=998)
# The documents the agent chose for the reply being approved (see :func:`attaching`).
_CHOSEN_DOCUMENTS: ContextVar[list[dict[str, Any]] | None] = ContextVar(
    "draftdesk_mail_documents", default=None
)


@contextmanager
def attaching(documents: list[dict[str, Any]]) -> Iterator[None]:
    """Within this block, an approved reply by e-mail carries ``documents`` (chosen with
    :meth:`bot.mail.files.OutboundDocuments.choose`): they are stored with its outbox row
    in the approval's own transaction."""
    token = _CHOSEN_DOCUMENTS.set(list(documents))
    try:
        yield
    finally:
        _CHOSEN_DOCUMENTS.reset(token)


def is_mail_conversation(session: Session, *, conversation_id: str) -> bool:
    """Whether replies in the conversation go out by e-mail (it has a relay thread)."""
    return repo.thread_of(session, conversation_id=conversation_id) is not None


@dataclass(frozen=True)
class ReplyQueue:
    """The mail channel's delivery (``Workflow.add_delivery("mail", queue)``)."""

    sender_domain: str
    max_chars: int = DEFAULT_MAX_REPLY_CHARS
    wake_sender: Callable[[], None] | None = None
    clock: Clock = utcnow

    def __call__(self, session: Session, conversation: Conversation, message: Message) -> None:
        """Write the outbox row for ``message`` (refuses a reply the relay would not take)."""
        if len(message.text) > self.max_chars:
            raise InvalidMessage(
                f"a reply through the marketplace's mail relay may have at most "
                f"{self.max_chars} characters (this one has {len(message.text)})",
                code="reply_too_long_for_marketplace",
            )
        thread = repo.thread_of(session, conversation_id=conversation.id)
        if thread is None:
            raise InvalidMessage("this mail conversation has no relay address",
                                 code="mail_thread_missing")
        documents = _CHOSEN_DOCUMENTS.get() or []
        if len(documents) > MAX_DOCUMENTS:
            raise InvalidMessage(
                f"a reply through the marketplace may carry at most {MAX_DOCUMENTS} documents",
                code="too_many_attachments",
            )
        latest = repo.newest_buyer_mail(session, conversation_id=conversation.id)
        session.add(OutboundMail(
            conversation_id=conversation.id, seller_message_id=message.id,
            draft_id=message.draft_id,
            message_id=f"<{uuid.uuid4().hex}@{self.sender_domain}>",
            to_address=thread.relay_address, subject=reply_subject(thread.subject),
            in_reply_to=latest.message_id if latest else None,
            references=list(latest.references) if latest else [],
            body=message.text, status="pending", attempts=0, created_at=self.clock(),
            attachments=list(documents) or None,
        ))
        session.flush()
        if self.wake_sender is not None:
            wake = self.wake_sender
            event.listen(session, "after_commit", lambda _session: wake(), once=True)


def reply_subject(subject: str) -> str:
    """``Re: <the buyer's subject>`` (which names the order), never ``Re: Re: …``."""
    subject = " ".join(subject.split())
    if subject.lower().startswith(("re:", "aw:", "sv:", "r:")):
        return subject
    return f"Re: {subject}" if subject else "Re: your message"


def compose(row: OutboundMail, *, from_address: str) -> EmailMessage:
    """The reply as plain text, threaded to the buyer's mail, with its stable Message-ID;
    with documents, ``multipart/mixed``: the text, then each file as an attachment.
    Raises :class:`~bot.mail.files.DocumentRefused` when a document is gone or changed."""
    # Folding a long subject right after "Subject:" makes some readers show a leading
    # space: lines may be up to RFC 5322's 998 characters instead.
    mail = EmailMessage(policy=_SMTP_POLICY)
    mail["From"] = from_address
    mail["To"] = row.to_address
    mail["Subject"] = row.subject
    mail["Date"] = format_datetime(row.created_at)
    mail["Message-ID"] = row.message_id
    if row.in_reply_to:
        mail["In-Reply-To"] = row.in_reply_to
    if row.references:
        mail["References"] = " ".join(row.references)
    mail["Auto-Submitted"] = "no"  # a person approved it: not an auto-reply
    mail.set_content(row.body, subtype="plain", charset="utf-8")
    for document in row.attachments or []:
        maintype, _, subtype = str(document["content_type"]).partition("/")
        mail.add_attachment(
            read_document(document),
            maintype=maintype,
            subtype=subtype,
            filename=str(document["filename"]),
        )
    return mail
