"""The buyer's side: open a conversation, receive messages (with the acknowledgement), ask
for a person, read the thread. Nothing a buyer writes is ever lost: the message and its
``awaiting_draft`` status are stored in one transaction before anything else happens.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.conversations import repository as repo
from bot.conversations.context import (
    WorkflowContext,
    first_word_of_name,
    ids_of,
    validate_message_text,
)
from bot.conversations.errors import ConversationNotFound, InvalidMessage
from bot.conversations.models import Conversation, Message
from bot.conversations.notifications import notify_draft_decided
from bot.conversations.schemas import (
    Acknowledgement,
    ConversationStatus,
    MessagePublic,
    NewConversation,
    ReceivedMessage,
)
from bot.conversations.states import (
    UNANSWERED,
    ConversationState,
    MessageRole,
    MessageStatus,
)
from bot.events import AGENTS_TOPIC, conversation_topic

_LOCALE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8}){0,2}$")


def hash_buyer_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_conversation(
    ctx: WorkflowContext,
    *,
    buyer_name: str | None = None,
    locale: str | None = None,
    channel: str = "widget",
) -> NewConversation:
    """Open a conversation; the returned token is the buyer's only key to it."""
    name = buyer_name.strip() if buyer_name else None
    if name:
        name = validate_message_text(name, max_chars=120, what="buyer_name")
    if locale is not None and not _LOCALE.match(locale):
        raise InvalidMessage("locale must look like 'en' or 'en-GB'", code="invalid_locale")
    token = secrets.token_urlsafe(32)
    conversation_id = uuid.uuid4().hex
    with ctx.transaction() as session:
        repo.add_conversation(
            session, conversation_id=conversation_id, token_hash=hash_buyer_token(token),
            channel=channel, buyer_name=name or None, locale=locale, now=ctx.clock(),
        )
    return NewConversation(id=conversation_id, token=token)


def authenticate_buyer(ctx: WorkflowContext, *, conversation_id: str, token: str) -> str:
    """The conversation id when the token opens it; else ConversationNotFound (never 403)."""
    if not token:
        raise ConversationNotFound("no such conversation")
    with ctx.reading() as session:
        conversation = repo.find_conversation_by_token(
            session, conversation_id=conversation_id, token_hash=hash_buyer_token(token)
        )
    if conversation is None:
        raise ConversationNotFound("no such conversation")
    return conversation.id


def acknowledgement_text(
    ctx: WorkflowContext, *, buyer_name: str | None, already_waiting: bool,
    text: str = "", locale: str | None = None,
) -> str:
    """The instant, honest reply: a person will answer, and roughly when — in the buyer's
    language (the message's, else the conversation's locale)."""
    # Imported here: the wording loads the offline composer and the policy engine, which an
    # API-only process should not pay for at start (issue 17: healthy in ≤ 2 s).
    from bot.drafting.acknowledgements import acknowledgement_in_language

    name = first_word_of_name(buyer_name)
    when = ctx.config.ack_response_time_text
    translated = acknowledgement_in_language(
        text=text, locale=locale, name=name, when=when, already_waiting=already_waiting,
        statistical=ctx.config.statistical_language_detection,
    )
    if translated is not None:
        return translated
    if already_waiting:
        thanks = f"Thanks, {name}!" if name else "Thanks!"
        return (
            f"{thanks} We've added this to your conversation, and we'll answer everything "
            f"together {when}."
        )
    thanks = f"Thanks, {name}!" if name else "Thanks for your message!"
    return f"{thanks} A person from our team will reply {when}."


def receive_buyer_message(
    ctx: WorkflowContext, *, conversation_id: str, text: str,
    received_at: datetime | None = None, acknowledge: bool = True,
    on_stored: Callable[[Session, Message], None] | None = None,
) -> ReceivedMessage:
    """Store a buyer message (``awaiting_draft``) and its acknowledgement in one transaction.

    A draft still waiting for review is superseded: the next draft answers every unanswered
    message of the thread, this one included. A channel that received the message earlier
    (mail: its ``Date``) passes ``received_at`` — the reply deadline counts from then — and
    may skip the acknowledgement; ``on_stored`` runs in the same transaction (the mail
    channel records the mail there, so a message is never stored without it or twice).
    """
    text = validate_message_text(text, max_chars=ctx.config.max_message_chars)
    now = ctx.clock()
    received = min(received_at, now) if received_at is not None else now
    with ctx.transaction() as session:
        conversation = repo.lock_conversation(session, conversation_id=conversation_id)
        unanswered = repo.buyer_messages(
            session, conversation_id=conversation_id, statuses=UNANSWERED
        )
        superseded = repo.supersede_open_drafts(
            session, conversation_id=conversation_id, now=now, actor="system"
        )
        for draft_id in superseded:
            repo.add_review_event(
                session, conversation_id=conversation_id, draft_id=draft_id, actor="system",
                action="supersede", now=now, note="the buyer wrote again",
            )
        # Everything unanswered goes back in the queue so one draft answers all of it.
        repo.set_message_status(
            session, message_ids=ids_of(unanswered), status=MessageStatus.AWAITING_DRAFT,
            only_from=UNANSWERED,
        )
        message = repo.add_message(
            session, conversation_id=conversation_id, role=MessageRole.BUYER, text=text,
            status=MessageStatus.AWAITING_DRAFT, now=received,
        )
        if on_stored is not None:
            on_stored(session, message)
        published = [public_message(message)]
        # One acknowledgement per waiting period (issue 18): a buyer who writes again
        # before the team has answered was already told a person will reply, and when.
        ack_text: str | None = None
        if acknowledge and not unanswered:
            ack_text = acknowledgement_text(
                ctx, buyer_name=conversation.buyer_name, already_waiting=False,
                text=text, locale=conversation.locale,
            )
            ack = repo.add_message(
                session, conversation_id=conversation_id, role=MessageRole.SYSTEM,
                text=ack_text, status=MessageStatus.SENT, now=now,
            )
            published.append(public_message(ack))
        queue_for_drafting(conversation, now=now)
        conversation.state = ConversationState.AWAITING_REPLY.value
        conversation.updated_at = now
        status = status_of(conversation)
    for item in published:
        publish_message(ctx, conversation_id=conversation_id, message=item)
    publish_status(ctx, status)
    for draft_id in superseded:
        ctx.publish(topic=AGENTS_TOPIC, type="draft_decided",
                    data={"draft_id": draft_id, "status": "superseded",
                          "conversation_id": conversation_id})
        notify_draft_decided(ctx.notifiers, draft_id)
    ctx.publish(topic=AGENTS_TOPIC, type="message_received",
                data={"conversation_id": conversation_id, "message_id": message.id})
    ctx.wake_workers()
    return ReceivedMessage(
        id=message.id, ack=Acknowledgement(text=ack_text) if ack_text is not None else None
    )


def queue_for_drafting(conversation: Conversation, *, now: datetime) -> None:
    """Put the conversation (back) in the drafting queue with a fresh attempt budget."""
    conversation.needs_draft = True
    if conversation.queued_at is None:
        conversation.queued_at = now
    conversation.inbox_version += 1
    conversation.draft_attempts = 0
    conversation.next_attempt_at = None
    conversation.last_error = None


def request_person(
    ctx: WorkflowContext, *, conversation_id: str, actor: str = "buyer",
    reason: str = "buyer_asked",
) -> ConversationStatus:
    """Flag the conversation for a person ("talk to a person"); idempotent."""
    now = ctx.clock()
    with ctx.transaction() as session:
        conversation = repo.lock_conversation(session, conversation_id=conversation_id)
        changed = not conversation.needs_person
        if changed:
            conversation.needs_person = True
            conversation.needs_person_reason = reason
            conversation.updated_at = now
            repo.add_review_event(
                session, conversation_id=conversation_id, actor=actor, action="request_person",
                now=now, note=reason,
            )
        status = status_of(conversation)
    if changed:
        publish_status(ctx, status)
        ctx.publish(topic=AGENTS_TOPIC, type="conversation_updated",
                    data={"conversation_id": conversation_id, "needs_person": True})
    return status


def conversation_status(ctx: WorkflowContext, *, conversation_id: str) -> ConversationStatus:
    with ctx.reading() as session:
        conversation = repo.get_conversation(session, conversation_id=conversation_id)
        if conversation is None:
            raise ConversationNotFound("no such conversation")
        return status_of(conversation)


def buyer_thread(
    ctx: WorkflowContext, *, conversation_id: str, after_id: int | None = None
) -> list[MessagePublic]:
    """What the buyer sees: their messages, acknowledgements and approved replies."""
    with ctx.reading() as session:
        return [
            public_message(m)
            for m in repo.thread(session, conversation_id=conversation_id, after_id=after_id)
        ]


def status_of(conversation: Conversation) -> ConversationStatus:
    return ConversationStatus(
        id=conversation.id,
        state=conversation.state,  # type: ignore[arg-type]
        needs_person=conversation.needs_person,
        awaiting_reply=conversation.state == ConversationState.AWAITING_REPLY.value,
    )


def public_message(message: Message) -> MessagePublic:
    return MessagePublic(
        id=message.id, role=message.role,  # type: ignore[arg-type]
        text=message.text, created_at=message.created_at,
    )


def publish_message(ctx: WorkflowContext, *, conversation_id: str, message: MessagePublic) -> None:
    """A message event; its id is the message id, so ``Last-Event-ID`` resumes the thread."""
    ctx.publish(
        topic=conversation_topic(conversation_id), type="message",
        data=message.model_dump(mode="json"), event_id=str(message.id),
    )


def publish_status(ctx: WorkflowContext, status: ConversationStatus) -> None:
    ctx.publish(topic=conversation_topic(status.id), type="status",
                data=status.model_dump(mode="json"))

