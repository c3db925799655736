"""Builders of test data that several test modules need: people, conversations, drafts,
PDFs and buyer replies. Fakes of our interfaces live in ``tests/fakes.py``."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, NamedTuple

import httpx
from fpdf import FPDF
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.service import NewUser, create_user, set_password
from bot.conversations.models import Conversation, Draft, Message
from knowledge_base.clock import utcnow

# --- people --------------------------------------------------------------------------------


def add_user(
    session_factory: sessionmaker[Session], *, email: str, role: str, password: str | None = None
) -> NewUser:
    """A user with an API token (``.token``) and, when given, a password to sign in with."""
    created = create_user(session_factory, email=email, role=role)
    if password is not None:
        set_password(session_factory, email=email, password=password)
    return created


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header for an API token."""
    return {"Authorization": f"Bearer {token}"}


# --- buyers --------------------------------------------------------------------------------


class BuyerConversation(NamedTuple):
    """A conversation opened through the widget API, with the buyer's token."""

    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def open_conversation(client: httpx.Client, **body: Any) -> BuyerConversation:
    """Open a conversation as a buyer does (``POST /api/v1/conversations``)."""
    response = client.post("/api/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    payload = response.json()
    assert set(payload) == {"id", "token"}
    return BuyerConversation(id=payload["id"], token=payload["token"])


# --- drafts in the database ----------------------------------------------------------------


def add_draft(
    session: Session, *, question: str, text: str = "Thanks for asking.", status: str = "sent",
    final_text: str | None = None, handoff: bool = False, handoff_reason: str | None = None,
    confidence: float = 0.9, citations: list[dict[str, Any]] | None = None,
    age_days: float = 0,
) -> Draft:
    """A widget conversation with one buyer question and a draft in ``status``, stored
    directly (what the KB gaps and suggestions read), ``age_days`` old. A sent draft's
    final text is its text unless ``final_text`` says otherwise."""
    if final_text is None and status == "sent":
        final_text = text
    now = utcnow() - timedelta(days=age_days)
    conversation = Conversation(
        id=str(uuid.uuid4()), token_hash=uuid.uuid4().hex, channel="widget", state="answered",
        created_at=now, updated_at=now,
    )
    session.add(conversation)
    session.flush()
    message = Message(conversation_id=conversation.id, role="buyer", text=question,
                      status="answered", created_at=now)
    session.add(message)
    session.flush()
    draft = Draft(
        conversation_id=conversation.id, message_id=message.id, message_ids=[message.id],
        status=status, text=text, handoff=handoff, handoff_reason=handoff_reason,
        confidence=confidence, citations=citations or [], kb_revisions={}, created_at=now,
        due_at=now + timedelta(hours=24), final_text=final_text,
    )
    session.add(draft)
    session.flush()
    return draft


# --- documents -----------------------------------------------------------------------------


def pdf_bytes(*pages: str, title: str | None = None) -> bytes:
    """A PDF with one page per text; an empty text gives a page without text (a "scan")."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
