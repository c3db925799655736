"""Approved replies to mail conversations: queued in the approval's transaction, composed
as the relay expects (plain text, ``Re:`` subject, threaded), sent by :mod:`bot.mail.smtp`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.conversations.errors import InvalidMessage
from bot.conversations.models import Conversation, Message
from bot.mail import repository as repo
from bot.mail.models import OutboundMail
from knowledge_base.clock import Clock, utcnow

# The marketplace's limit for most buyer-message replies (DOMAIN.md).
DEFAULT_MAX_REPLY_CHARS = 2000
_SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


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
        latest = repo.newest_buyer_mail(session, conversation_id=conversation.id)
        session.add(OutboundMail(
            conversation_id=conversation.id, seller_message_id=message.id,
            draft_id=message.draft_id,
            message_id=f"<{uuid.uuid4().hex}@{self.sender_domain}>",
            to_address=thread.relay_address, subject=reply_subject(thread.subject),
            in_reply_to=latest.message_id if latest else None,
            references=list(latest.references) if latest else [],
            body=message.text, status="pending", attempts=0, created_at=self.clock(),
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
    """The reply as plain text, threaded to the buyer's mail, with its stable Message-ID."""
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
    return mail
