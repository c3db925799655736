"""Which records belong to a buyer named by a conversation id, a relay address or an order id.

Buyer columns are compared in Python after loading, not in SQL: they may be encrypted at
rest (bot.protection.crypto), and an encrypted value cannot be matched by the database.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Draft, Message
from bot.conversations.order_bindings import OrderBinding
from bot.mail.models import InboundMail, MailThread
from bot.orders.models import Order
from bot.orders.repository import normalise_order_id
from bot.privacy.errors import UnknownBuyerReference
from bot.privacy.retention import conversation_order_ids

SubjectKind = Literal["conversation", "relay_address", "order_id"]
_ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class BuyerReference:
    """How a request named the buyer (``value`` is normalised)."""

    kind: SubjectKind
    value: str

    @property
    def digest(self) -> str:
        """What the audit keeps instead of the value."""
        return hashlib.sha256(f"{self.kind}:{self.value}".encode()).hexdigest()


@dataclass
class BuyerRecords:
    """The conversations and orders of one buyer reference."""

    conversation_ids: list[str] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)


def parse_buyer_reference(raw: str) -> BuyerReference:
    """A conversation id (uuid), a relay address (e-mail) or an Amazon order id."""
    text = raw.strip()
    try:
        return BuyerReference("conversation", uuid.UUID(text).hex)
    except ValueError:
        pass
    if _EMAIL.match(text):
        return BuyerReference("relay_address", text.lower())
    order_id = normalise_order_id(text)
    if order_id and _ORDER_ID.match(order_id):
        return BuyerReference("order_id", order_id)
    raise UnknownBuyerReference(
        "--buyer must be a conversation id, a relay address (…@marketplace.amazon.…) or an "
        "order id (123-1234567-1234567)"
    )


def records_of(session: Session, reference: BuyerReference) -> BuyerRecords:
    """Every conversation and order the reference reaches (empty when none exists)."""
    records = BuyerRecords()
    if reference.kind == "conversation":
        # Conversation ids are stored as uuid hex; accept the dashed spelling too.
        for spelling in (reference.value, str(uuid.UUID(reference.value))):
            if session.get(Conversation, spelling) is not None:
                records.conversation_ids.append(spelling)
                break
            records.order_ids.extend(_orders_named_in(session, records.conversation_ids))
        return records
    if reference.kind == "relay_address":
        threads = [
            t
            for t in session.scalars(select(MailThread))
            if (t.relay_address or "").lower() == reference.value
        ]
        mails = [
            m
            for m in session.scalars(
                select(InboundMail).where(InboundMail.conversation_id.is_not(None))
            )
            if (m.from_address or "").lower() == reference.value
        ]
        ids = {t.conversation_id for t in threads} | {str(m.conversation_id) for m in mails}
        records.conversation_ids.extend(sorted(ids))
        records.order_ids.extend(_orders_named_in(session, records.conversation_ids))
        return records
    order_id = reference.value
    ids = {
        b.conversation_id for b in session.scalars(select(OrderBinding)) if b.order_id == order_id
    }
    ids |= {
        t.conversation_id for t in session.scalars(select(MailThread)) if t.order_key == order_id
    }
    ids |= {
        d.conversation_id
        for d in session.scalars(select(Draft).where(Draft.order_facts.is_not(None)))
        if (d.order_facts or {}).get("order_id") == order_id
    }
    ids |= {
        m.conversation_id
        for m in session.scalars(select(Message).where(Message.role == "buyer"))
        if order_id in (m.text or "")
    }
    records.conversation_ids.extend(sorted(ids))
    if session.get(Order, order_id) is not None:
        records.order_ids.append(order_id)
    return records


def _orders_named_in(session: Session, conversation_ids: list[str]) -> list[str]:
    """The stored orders these conversations are about (bound, relay thread or drafts)."""
    found: set[str] = set()
    for conversation_id in conversation_ids:
        found |= conversation_order_ids(session, conversation_id=conversation_id)
    return sorted(order_id for order_id in found if session.get(Order, order_id) is not None)
