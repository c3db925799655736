"""The buyer's API (used by the chat widget): conversations, messages, status, live events.

A wrong or missing conversation token answers 404, exactly like an unknown conversation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from bot.conversations.schemas import ConversationStatus, NewConversation, ReceivedMessage
from bot.conversations.verification import BoundOrder
from bot.web.api_schemas import (
    INPUT_ERRORS,
    ConversationCreate,
    MessageCreate,
    MessageList,
    OrderVerification,
    error_responses,
)
from bot.web.deps import (
    BuyerConversation,
    ConversationRateLimit,
    PublicRateLimit,
    ServicesDep,
    WorkflowDep,
)
from bot.web.idempotency import IdempotencyKeyHeader, IdempotencyKeysDep, answer_once
from bot.web.sse import buyer_events
from bot.web.validation import MAX_ROW_ID

router = APIRouter(prefix="/api/v1/conversations", tags=["buyers"],
                   responses=error_responses(*INPUT_ERRORS, 404, 429))

@router.post("", status_code=status.HTTP_201_CREATED, response_model=NewConversation,
             dependencies=[PublicRateLimit])
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
    responses=error_responses(409),
)
def post_message(
    conversation_id: BuyerConversation, body: MessageCreate,
    workflow: WorkflowDep, keys: IdempotencyKeysDep, idempotency_key: IdempotencyKeyHeader = None,
) -> ReceivedMessage | JSONResponse:
    """Send a message; a person reviews the drafted reply before it reaches the buyer.

    With an ``Idempotency-Key``, a retry gets the first answer and stores nothing again.
    """
    return answer_once(
        keys, key=idempotency_key, conversation_id=conversation_id, endpoint="messages",
        request=body.model_dump(), status_code=status.HTTP_202_ACCEPTED,
        act=lambda: workflow.receive_buyer_message(conversation_id=conversation_id,
                                                   text=body.text),
    )


@router.post(
    "/{conversation_id}/order-verification", response_model=BoundOrder,
    dependencies=[PublicRateLimit, ConversationRateLimit],
)
def verify_order(
    conversation_id: BuyerConversation, body: OrderVerification, workflow: WorkflowDep
) -> BoundOrder:
    """Show that an order is yours: its number and the last name on it. Replies may then
    give its details. A wrong name and an unknown order get the same 422
    (``order_not_verified``); after 5 failures in a day, 429."""
    return workflow.verify_order(conversation_id=conversation_id, order_id=body.order_id,
                                 last_name=body.last_name)


@router.get("/{conversation_id}/messages", response_model=MessageList)
def list_messages(
    conversation_id: BuyerConversation, workflow: WorkflowDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_ROW_ID,
                                      description="Only messages after this id")] = None,
) -> MessageList:
    """The buyer's messages, acknowledgements and approved replies (never drafts)."""
    return MessageList(
        messages=workflow.buyer_thread(conversation_id=conversation_id, after_id=after)
    )


@router.post("/{conversation_id}/handoff", status_code=status.HTTP_202_ACCEPTED,
             response_model=ConversationStatus, responses=error_responses(409))
def request_person(
    conversation_id: BuyerConversation, workflow: WorkflowDep, keys: IdempotencyKeysDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ConversationStatus | JSONResponse:
    """"Talk to a person": flag the conversation for the team (idempotent)."""
    return answer_once(
        keys, key=idempotency_key, conversation_id=conversation_id, endpoint="handoff",
        request=None, status_code=status.HTTP_202_ACCEPTED,
        act=lambda: workflow.request_person(conversation_id=conversation_id),
    )


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
