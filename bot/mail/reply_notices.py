"""E-mail a widget buyer who asked "tell me when you've answered" (issue 18).

When the mail channel can send (SMTP configured), every reply delivered in a widget
conversation with a stored address queues one mail through the same outbox and sender as
relay replies (retries, failures shown to a person); without SMTP the address stays stored
and shown to the agent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Message
from bot.conversations.reply_notice import ReplyNotice
from bot.mail.models import OutboundMail
from knowledge_base.clock import Clock, utcnow


def notice_body(*, seller: str, reply: str) -> str:
    return (f"Hello,\n\nthe {seller} team has answered your message in the chat on our "
            f"website:\n\n{reply}\n\nYou can reply there at any time.\n\n{seller}")


@dataclass(frozen=True)
class ReplyNoticeMail:
    """A delivery for the widget channel (``Workflow.add_delivery("widget", …)``)."""

    sender_domain: str
    seller_name: str
    wake_sender: Callable[[], None] | None = None
    clock: Clock = utcnow

    def __call__(self, session: Session, conversation: Conversation, message: Message) -> None:
        notice = session.get(ReplyNotice, conversation.id)
        if notice is None:
            return
        now = self.clock()
        session.add(OutboundMail(
            conversation_id=conversation.id, seller_message_id=message.id,
            draft_id=message.draft_id, message_id=f"<{uuid.uuid4().hex}@{self.sender_domain}>",
            to_address=notice.email, subject=f"{self.seller_name} has answered your message",
            in_reply_to=None, references=[], body=notice_body(seller=self.seller_name,
                                                              reply=message.text),
            status="pending", attempts=0, created_at=now,
        ))
        notice.notified_at = now
        session.flush()
        if self.wake_sender is not None:
            wake = self.wake_sender
            event.listen(session, "after_commit", lambda _session: wake(), once=True)
