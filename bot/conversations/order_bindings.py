"""Which orders a conversation may hear about (issue 15, finding 4).

A draft states an order's facts only when the conversation is *bound* to that order:

* a mail conversation from the order's relay address (the mail channel registers a binder
  that reads its thread, see ``Workflow.add_order_binder``);
* a widget conversation whose buyer verified the order with its id and the last name on the
  order (order data has no postcode or e-mail to check instead);
* an order an agent bound in the console or API.

The last two are rows of ``order_bindings``. Failed widget verifications are counted in
``order_verification_attempts`` so guessing names for a known order id is capped.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.orders.repository import get_order, normalise_order_id
from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime

# Orders a channel binds by itself (the mail thread's order), by conversation id.
OrderBinder = Callable[[Session, str], Sequence[str]]

ORDER_ID_RE = re.compile(r"^\d{3}-\d{7}-\d{7}$")
# Failed verifications a conversation may make per window before it is refused (429).
MAX_FAILED_VERIFICATIONS = 5
VERIFICATION_WINDOW = timedelta(hours=24)
MAX_LAST_NAME_CHARS = 100


class OrderBinding(Base):
    """An order a conversation may hear about: verified by the buyer or bound by an agent."""

    __tablename__ = "order_bindings"
    __table_args__ = (UniqueConstraint("conversation_id", "order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[str] = mapped_column(String(40))
    # "buyer" (verified in the widget) or "agent".
    source: Mapped[str] = mapped_column(String(20))
    bound_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class OrderVerificationAttempt(Base):
    """One failed widget verification (kept to cap guessing; no name is stored)."""

    __tablename__ = "order_verification_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


def stored_bindings(session: Session, *, conversation_id: str) -> list[str]:
    """Order ids bound to the conversation by a buyer's verification or an agent."""
    return list(session.execute(
        select(OrderBinding.order_id)
        .where(OrderBinding.conversation_id == conversation_id)
        .order_by(OrderBinding.id)
    ).scalars())


def bound_order_ids(
    session: Session, *, conversation_id: str, binder: OrderBinder | None
) -> list[str]:
    """Every order the conversation is bound to: its channel's own and the stored ones."""
    own = list(binder(session, conversation_id)) if binder is not None else []
    return list(dict.fromkeys([*own, *stored_bindings(session, conversation_id=conversation_id)]))


def add_binding(
    session: Session, *, conversation_id: str, order_id: str, source: str, bound_by: str,
    now: datetime,
) -> bool:
    """Bind ``order_id`` to the conversation; False when it already was (nothing written)."""
    if order_id in stored_bindings(session, conversation_id=conversation_id):
        return False
    session.add(OrderBinding(conversation_id=conversation_id, order_id=order_id, source=source,
                             bound_by=bound_by[:200], created_at=now))
    session.flush()
    return True


def failed_verifications(session: Session, *, conversation_id: str, since: datetime) -> int:
    return int(session.execute(
        select(func.count(OrderVerificationAttempt.id)).where(
            OrderVerificationAttempt.conversation_id == conversation_id,
            OrderVerificationAttempt.created_at >= since,
        )
    ).scalar_one())


def record_failed_verification(session: Session, *, conversation_id: str, now: datetime) -> None:
    session.add(OrderVerificationAttempt(conversation_id=conversation_id, created_at=now))
    session.flush()


def clean_order_id(order_id: str) -> str | None:
    """The order id in its stored form, or None when it is not a marketplace order id."""
    cleaned = normalise_order_id(order_id)
    return cleaned if ORDER_ID_RE.match(cleaned) else None


def buyer_owns_order(session: Session, *, order_id: str, last_name: str) -> bool:
    """Whether ``last_name`` is the last name on the order (accents and case ignored).

    A buyer with several family names may give the last one or all of them ("García
    López" or "López" for "María García López"). A name written in Chinese characters or
    kana puts the family name first ("佐藤 健太": "佐藤"). Unknown orders and orders without
    a buyer name are never verified.
    """
    order = get_order(session, order_id=order_id)
    if order is None or not order.buyer_name:
        return False
    on_order = _name_words(order.buyer_name)
    given = _name_words(last_name)
    if not given or len(on_order) < 2 or len(given) >= len(on_order):
        return False
    family = on_order[: len(given)] if _FAMILY_NAME_FIRST.search(order.buyer_name) else (
        on_order[-len(given):]
    )
    # Bytes: compare_digest refuses str with characters outside ASCII (a 500 for "Krüger").
    return hmac.compare_digest(" ".join(family).encode(), " ".join(given).encode())


# Japanese (kanji/kana) and Chinese names: family name first.
_FAMILY_NAME_FIRST = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def _name_words(name: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", name[:MAX_LAST_NAME_CHARS * 2])
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.findall(r"[^\W\d_]+", plain.replace("'", "").replace("’", ""))
