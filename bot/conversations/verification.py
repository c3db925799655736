"""Binding an order to a conversation: the buyer verifies it in the widget, or an agent binds
it. Either way the unanswered messages are drafted again, now with the order's facts."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from bot.conversations import decisions
from bot.conversations import repository as repo
from bot.conversations.context import WorkflowContext
from bot.conversations.errors import (
    ConversationNotFound,
    NothingToAnswer,
    OrderNotVerified,
    TooManyVerifications,
)
from bot.conversations.order_bindings import (
    MAX_FAILED_VERIFICATIONS,
    VERIFICATION_WINDOW,
    add_binding,
    bound_order_ids,
    buyer_owns_order,
    clean_order_id,
    failed_verifications,
    record_failed_verification,
)
from bot.events import AGENTS_TOPIC
from bot.orders.errors import OrderNotFound
from bot.orders.repository import get_order
from knowledge_base.repository import record_audit

log = logging.getLogger(__name__)

_NOT_VERIFIED = (
    "We couldn't match that order number and last name. Check both under Your Orders "
    "(the name the order was placed in) and try again."
)


class BoundOrder(BaseModel):
    """An order now bound to the conversation; ``redrafting``: a new draft is on its way."""

    order_id: str
    redrafting: bool


def verify_order(
    ctx: WorkflowContext, *, conversation_id: str, order_id: str, last_name: str
) -> BoundOrder:
    """The widget buyer proves the order is theirs with its id and the last name on it.

    An unknown order and a wrong name give the same answer; after
    ``MAX_FAILED_VERIFICATIONS`` failures in a day the conversation may not try again.
    """
    now = ctx.clock()
    cleaned = clean_order_id(order_id)
    with ctx.transaction() as session:
        repo.lock_conversation(session, conversation_id=conversation_id)
        failures = failed_verifications(
            session, conversation_id=conversation_id, since=now - VERIFICATION_WINDOW
        )
        if failures >= MAX_FAILED_VERIFICATIONS:
            raise TooManyVerifications(
                "Too many attempts to verify an order in this chat. Please try again tomorrow "
                "or ask for a person."
            )
        if cleaned is None or not buyer_owns_order(session, order_id=cleaned,
                                                   last_name=last_name):
            record_failed_verification(session, conversation_id=conversation_id, now=now)
            verified = False
        else:
            verified = True
            add_binding(session, conversation_id=conversation_id, order_id=cleaned,
                        source="buyer", bound_by="buyer", now=now)
            record_audit(session, actor="buyer", action="order.verify",
                         entity_type="conversation", entity_id=conversation_id,
                         detail={"order_id": cleaned})
    if not verified:
        # Outside the transaction above, so the failed attempt is counted (committed).
        raise OrderNotVerified(_NOT_VERIFIED)
    assert cleaned is not None
    return BoundOrder(order_id=cleaned, redrafting=_redraft(ctx, conversation_id, "buyer"))


def bind_order(
    ctx: WorkflowContext, *, conversation_id: str, order_id: str, actor: str
) -> BoundOrder:
    """An agent binds an order they checked to the conversation (it must be in order data)."""
    now = ctx.clock()
    cleaned = clean_order_id(order_id)
    with ctx.transaction() as session:
        repo.lock_conversation(session, conversation_id=conversation_id)
        if cleaned is None or get_order(session, order_id=cleaned) is None:
            raise OrderNotFound(f"No order {order_id.strip()[:40]!r} in the order data.")
        if add_binding(session, conversation_id=conversation_id, order_id=cleaned,
                       source="agent", bound_by=actor, now=now):
            record_audit(session, actor=actor, action="order.bind",
                         entity_type="conversation", entity_id=conversation_id,
                         detail={"order_id": cleaned})
    return BoundOrder(order_id=cleaned, redrafting=_redraft(ctx, conversation_id, actor))


def bound_orders(ctx: WorkflowContext, *, conversation_id: str) -> list[str]:
    """Every order the conversation is bound to (its channel's and the stored bindings)."""
    with ctx.session_factory() as session:
        conversation = repo.get_conversation(session, conversation_id=conversation_id)
        if conversation is None:
            raise ConversationNotFound("conversation not found")
        return bound_order_ids(session, conversation_id=conversation_id,
                               binder=ctx.order_binders.get(conversation.channel))


def _redraft(ctx: WorkflowContext, conversation_id: str, actor: str) -> bool:
    """Draft the unanswered messages again with the newly bound order (if there are any)."""
    try:
        decisions.request_redraft(ctx, conversation_id=conversation_id, actor=actor)
    except NothingToAnswer:
        ctx.publish(topic=AGENTS_TOPIC, type="conversation_updated",
                    data={"conversation_id": conversation_id})
        return False
    return True
