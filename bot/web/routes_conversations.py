"""The buyer's API (used by the chat widget): conversations, messages, status, live events.

A wrong or missing conversation token answers 404, exactly like an unknown conversation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sse_starlette import EventSourceResponse

from bot.conversations.schemas import ConversationStatus, NewConversation, ReceivedMessage
from bot.web.api_schemas import ConversationCreate, MessageCreate, MessageList
from bot.web.deps import (
    BuyerConversation,
    ConversationRateLimit,
    PublicRateLimit,
    ServicesDep,
    WorkflowDep,
)
from bot.web.sse import buyer_events

router = APIRouter(prefix="/api/v1/conversations", tags=["buyers"],
                   dependencies=[PublicRateLimit])

@router.post("", status_code=status.HTTP_201_CREATED, response_model=NewConversation)
def create_conversation(
    workflow: WorkflowDep, body: ConversationCreate | None = None
) -> NewConversation:
    """Open a conversation. Keep the returned ``token``: it is shown only once."""
    body = body or ConversationCreate()
    return workflow.start_conversation(buyer_name=body.buyer_name, locale=body.locale)


@router.get("/{conversation_id}", response_model=ConversationStatus)
def get_conversation_status(
    conversation_id: BuyerConversation, workflow: WorkflowDep
) -> ConversationStatus:
    """Whether a reply is awaited and whether a person was asked for."""
    return workflow.conversation_status(conversation_id=conversation_id)


@router.post(
    "/{conversation_id}/messages", status_code=status.HTTP_202_ACCEPTED,
    response_model=ReceivedMessage, dependencies=[ConversationRateLimit],
)
def post_message(
    conversation_id: BuyerConversation, body: MessageCreate,
    workflow: WorkflowDep,
) -> ReceivedMessage:
    """Send a message; a person reviews the drafted reply before it reaches the buyer."""
    return workflow.receive_buyer_message(conversation_id=conversation_id, text=body.text)


@router.get("/{conversation_id}/messages", response_model=MessageList)
def list_messages(
    conversation_id: BuyerConversation, workflow: WorkflowDep,
    after: Annotated[int | None, Query(ge=0, description="Only messages after this id")] = None,
) -> MessageList:
    """The buyer's messages, acknowledgements and approved replies (never drafts)."""
    return MessageList(
        messages=workflow.buyer_thread(conversation_id=conversation_id, after_id=after)
    )


@router.post("/{conversation_id}/handoff", status_code=status.HTTP_202_ACCEPTED,
             response_model=ConversationStatus)
def request_person(
    conversation_id: BuyerConversation, workflow: WorkflowDep
) -> ConversationStatus:
    """"Talk to a person": flag the conversation for the team (idempotent)."""
    return workflow.request_person(conversation_id=conversation_id)


@router.get("/{conversation_id}/events", response_class=EventSourceResponse)
async def conversation_events(
    request: Request, conversation_id: BuyerConversation, services: ServicesDep
) -> EventSourceResponse:
    """Server-sent events: ``message`` (new visible message) and ``status``.

    Authenticate with the Bearer header or ``?token=`` (EventSource cannot send headers).
    Reconnects with ``Last-Event-ID`` replay the missed messages.
    """
    return buyer_events(request, bus=services.events, workflow=services.workflow,
                        conversation_id=conversation_id)
