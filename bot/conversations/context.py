"""What every workflow operation needs: the database, the drafter, events, notifiers, knobs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.errors import InvalidMessage
from bot.conversations.models import Conversation, Message
from bot.conversations.notifications import ReviewNotifier
from bot.drafting.interface import Drafter
from bot.events import EventPublisher
from knowledge_base.clock import Clock, utcnow

# C0 and C1 control characters except tab and newline (carriage returns are normalised first).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class WorkflowConfig:
    """The workflow's knobs (from Settings at the composition root)."""

    reply_deadline_hours: float = 24.0
    ack_response_time_text: str = "within a few hours, and always within 24 hours"
    # Off in API-only processes: acknowledgements pick the language from script and function
    # words (else the locale) instead of loading lingua's ~140 MB of letter statistics.
    statistical_language_detection: bool = True
    max_message_chars: int = 4000
    worker_max_attempts: int = 5
    worker_lease_seconds: float = 120.0
    worker_retry_base_seconds: float = 2.0
    worker_retry_max_seconds: float = 300.0


@dataclass
class WorkflowContext:
    """Shared by every operation of one process; the notifier list may grow after start-up."""

    session_factory: sessionmaker[Session]
    drafter: Drafter
    events: EventPublisher
    notifiers: list[ReviewNotifier] = field(default_factory=list)
    config: WorkflowConfig = field(default_factory=WorkflowConfig)
    clock: Clock = utcnow
    # Called (without arguments) after a message is queued: wakes an idle in-process worker.
    wakeups: list[Callable[[], None]] = field(default_factory=list)
    # Channels that deliver replies themselves (mail), by conversation channel: called inside
    # the transaction that stores an approved or hand-written reply, so the channel's outbox
    # row commits (or rolls back) with it. A delivery may refuse the reply (InvalidMessage).
    deliveries: dict[str, Callable[[Session, Conversation, Message], None]] = field(
        default_factory=dict
    )
    # Channels that bind a conversation to orders themselves (mail: the thread's order), by
    # conversation channel: (session, conversation id) -> order ids (see order_bindings).
    order_binders: dict[str, Callable[[Session, str], Sequence[str]]] = field(
        default_factory=dict
    )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self.session_factory() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work."""
        with self.session_factory() as session, session.begin():
            yield session

    def deliver(self, session: Session, conversation: Conversation, message: Message) -> None:
        """Hand a stored seller reply to its channel's delivery, if the channel has one."""
        delivery = self.deliveries.get(conversation.channel)
        if delivery is not None:
            delivery(session, conversation, message)

    def wake_workers(self) -> None:
        for wake in list(self.wakeups):
            wake()

    def publish(self, *, topic: str, type: str, data: dict[str, Any],
                event_id: str | None = None) -> None:
        self.events.publish(topic=topic, type=type, data=data, event_id=event_id)


def sha256_text(text: str) -> str:
    """The fingerprint recorded with every delivered message."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate_message_text(text: str, *, max_chars: int, what: str = "message") -> str:
    """Normalise line breaks and refuse empty, oversized or control-character text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL_CHARACTERS.search(text):
        raise InvalidMessage(
            f"the {what} contains control characters", code=f"{what}_control_characters"
        )
    text = text.strip()
    if not text:
        raise InvalidMessage(f"the {what} is empty", code=f"{what}_empty")
    if len(text) > max_chars:
        raise InvalidMessage(
            f"the {what} is longer than {max_chars} characters", code=f"{what}_too_long"
        )
    return text


def clean_optional_note(text: str | None, *, max_chars: int = 2000) -> str | None:
    """A reason or note: None when blank, refused when it has control characters."""
    if text is None or not text.strip():
        return None
    return validate_message_text(text, max_chars=max_chars, what="note")


def first_word_of_name(buyer_name: str | None) -> str | None:
    """The first word of the name the buyer gave, as written ("Thanks, Maria!")."""
    if not buyer_name or not buyer_name.strip():
        return None
    return buyer_name.strip().split()[0]


def ids_of(items: Sequence[Any]) -> list[int]:
    return [int(item.id) for item in items]
