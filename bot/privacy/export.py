"""A buyer's data as JSON (an access request): every place on the map, as stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Draft, Message
from bot.conversations.photos import BuyerPhoto
from bot.conversations.reply_notice import ReplyNotice
from bot.mail.models import InboundMail, MailThread
from bot.orders.models import Order
from bot.privacy.subjects import BuyerRecords


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_records(session: Session, records: BuyerRecords) -> dict[str, Any]:
    """Conversations (messages, drafts, mail) and orders of one buyer, JSON-ready."""
    return {
        "conversations": [
            _conversation(session, conversation_id)
            for conversation_id in records.conversation_ids
            if session.get(Conversation, conversation_id) is not None
        ],
        "orders": [
            _order(order)
            for order_id in records.order_ids
            if (order := session.get(Order, order_id)) is not None
        ],
    }


def _conversation(session: Session, conversation_id: str) -> dict[str, Any]:
    conversation = session.get(Conversation, conversation_id)
    assert conversation is not None
    messages = session.scalars(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    )
    drafts = session.scalars(
        select(Draft).where(Draft.conversation_id == conversation_id).order_by(Draft.id)
    )
    thread = session.scalars(
        select(MailThread).where(MailThread.conversation_id == conversation_id)
    ).first()
    mails = session.scalars(
        select(InboundMail)
        .where(InboundMail.conversation_id == conversation_id)
        .order_by(InboundMail.id)
    )
    notice = session.get(ReplyNotice, conversation_id)
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "buyer_name": conversation.buyer_name,
        "created_at": _when(conversation.created_at),
        "messages": [
            {"role": m.role, "text": m.text, "status": m.status, "created_at": _when(m.created_at)}
            for m in messages
        ],
        "drafts": [
            {
                "id": d.id,
                "status": d.status,
                "text": d.text,
                "final_text": d.final_text,
                "decision_note": d.decision_note,
                "created_at": _when(d.created_at),
                "decided_at": _when(d.decided_at),
            }
            for d in drafts
        ],
        "photos": [
            {
                "filename": p.filename,
                "content_type": p.content_type,
                "created_at": _when(p.created_at),
            }
            for p in session.scalars(
                select(BuyerPhoto).where(BuyerPhoto.conversation_id == conversation_id)
            )
        ],
        "reply_notice_email": notice.email if notice is not None else None,
        "mail": None
        if thread is None
        else {
            "relay_address": thread.relay_address,
            "subject": thread.subject,
            "received": [
                {
                    "subject": m.subject,
                    "from": m.from_address,
                    "received_at": _when(m.received_at),
                    "attachments": [a.get("filename") for a in m.attachments or []],
                }
                for m in mails
            ],
        },
    }


def _order(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "buyer_name": order.buyer_name,
        "purchase_date": _when(order.purchase_date),
        "delivered_at": _when(order.delivered_at),
        "status": order.status,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "items": [{"sku": i.sku, "title": i.title, "quantity": i.quantity} for i in order.items],
    }
