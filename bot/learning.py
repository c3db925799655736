"""Learning from agents: a buyer's question whose draft an agent approved becomes an example
question of the article the draft cited first, so the next buyer who asks the same way
finds that article (issue 12: "what agents approved before").

Only text free of personal data is kept: order ids are dropped, and a message with an
e-mail address, a phone number, a name, an address, a card number, a link or text addressed
to a model is not learned at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.checks.redaction import redact_pii
from bot.conversations import repository as conversations
from bot.conversations.models import Draft
from bot.conversations.states import DraftStatus
from bot.understanding.signals import (
    ORDER_ID,
    strip_invisible_characters,
    without_injected_instructions,
)
from knowledge_base import repository as kb

log = logging.getLogger(__name__)

MIN_WORDS = 3
MAX_CHARS = 300
_PERSONAL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+|(?<![\d-])\+?\d[\d ().-]{7,}\d(?![\d-])|https?://|www\.",
    re.I,
)


def learnable_text(buyer_text: str) -> str | None:
    """The buyer's question as an example question, or None when it may not be kept."""
    text, injected = without_injected_instructions(strip_invisible_characters(buyer_text))
    if injected or _PERSONAL.search(ORDER_ID.sub(" ", text)):
        return None
    text = " ".join(ORDER_ID.sub(" ", text).split())
    if len(text.split()) < MIN_WORDS or len(text) > MAX_CHARS:
        return None
    if redact_pii(text, order_ids=False) != text:
        return None  # a name, an address or a card: never kept as an example question
    return text


@dataclass
class LearnFromApprovals:
    """A ``ReviewNotifier``: when a draft is sent as drafted (no override), its buyer
    question is stored for the first cited article and the index is brought up to date."""

    session_factory: sessionmaker[Session]
    resync: Callable[[], object]

    def draft_ready(self, draft_id: int) -> None:
        return None

    def draft_decided(self, draft_id: int) -> None:
        with self.session_factory() as session, session.begin():
            draft = session.get(Draft, draft_id)
            if draft is None or not self._teaches(draft):
                return
            wanted = set(draft.message_ids)
            texts = [
                m.text
                for m in conversations.buyer_messages(
                    session, conversation_id=draft.conversation_id
                )
                if m.id in wanted
            ]
            text = learnable_text("\n".join(texts))
            if text is None:
                return
            added = kb.add_learned_question(
                session,
                article_id=str(draft.citations[0]["article_id"]),
                text=text,
                learned_from=f"draft:{draft.id}",
                approved_by=draft.decided_by or "unknown",
            )
        if added:
            self.resync()

    @staticmethod
    def _teaches(draft: Draft) -> bool:
        return (
            draft.status == DraftStatus.SENT.value
            and not draft.handoff
            and not draft.override_reason
            and bool(draft.citations)
        )
