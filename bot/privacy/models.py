"""The privacy audit: one row per conversation (or order) whose buyer data was removed.

A row names *what kind* of request it was and how much was removed, never the buyer: the
subject (relay address, order id) is kept only as a sha256 digest, so a later request for
the same buyer can be matched to it without the audit itself becoming a copy of the PII.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from knowledge_base.clock import utcnow
from knowledge_base.db import Base, UtcDateTime


class PrivacyErasure(Base):
    """What a purge (retention) or an erasure (request) removed for one conversation."""

    __tablename__ = "privacy_erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # "purge" (the retention job) or "erase" (a buyer's request).
    reason: Mapped[str] = mapped_column(String(20))
    # "conversation", "relay_address" or "order_id": how the request named the buyer.
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Random uuid of the (now anonymised) conversation; None for an order without one.
    conversation_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    # {"messages": 2, "drafts": 1, "files": 1, ...}: counts only, never values.
    removed: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
