"""Removing one conversation's buyer data from every SQL place on the map, and its files.

Everything goes through the ORM (load the row, set the attribute), never SQL text matching on
buyer columns: the columns may be encrypted at rest, and the ORM's column types make that
transparent here. Each step counts only what it actually changed, so erasing twice reports
nothing the second time.

The conversation, its messages, drafts and review events stay as rows (counts, statuses,
decisions, timings, citations — what analytics need); their text is emptied. An emptied
buyer message also drops out of the knowledge-gap list, which skips questions without text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Draft, IdempotencyKey, Message, ReviewEvent
from bot.conversations.order_bindings import OrderBinding
from bot.conversations.photos import BuyerPhoto
from bot.conversations.reply_notice import ReplyNotice
from bot.kb_editor.models import KbSuggestion
from bot.mail.models import InboundMail, MailThread, OutboundMail
from bot.orders.models import Order
from bot.slack.models import SlackAction, SlackCard
from knowledge_base.models import AuditLog, LearnedQuestion

# What an emptied text column holds (the columns are NOT NULL).
EMPTY = ""
# An erased agent edit: differs from the emptied draft text, so the draft still counts as
# edited in the analytics.
EDITED_MARKER = "[edited; text removed]"
# JSON keys that carry buyer data inside otherwise useful records.
_AUDIT_PII_KEYS = frozenset({"order_id", "note"})
_CHECK_KEPT_KEYS = ("id", "severity", "passed")
_VERDICT_KEPT_KEYS = ("kind", "eligible", "fee_percent", "rule_ids", "handled_by")


@dataclass(frozen=True)
class SlackCardRef:
    """A Slack message we posted for a draft: what ``chat.update`` needs to redact it."""

    draft_id: int
    channel: str
    ts: str


@dataclass
class ConversationErasure:
    """What erasing one conversation changed (counts per place) and what is left to do
    outside the database: Slack cards to redact, whether the search index must re-sync."""

    conversation_id: str
    removed: Counter[str]
    slack_cards: list[SlackCardRef]
    learned_questions_removed: bool

    @property
    def changed(self) -> bool:
        return sum(self.removed.values()) > 0


def _clear(row: Any, names: Iterable[str], removed: Counter[str], place: str) -> None:
    """Empty the named attributes that still hold something; count the row once."""
    if _emptied(row, names):
        removed[place] += 1


def _emptied(row: Any, names: Iterable[str]) -> bool:
    """Empty the named attributes (None where the column allows it); True when any held
    something."""
    touched = False
    for name in names:
        value = getattr(row, name)
        if value in (None, EMPTY, [], {}):
            continue
        column = type(row).__table__.columns[name]
        setattr(row, name, None if column.nullable else _empty_like(value))
        touched = True
    return touched


def _empty_like(value: object) -> object:
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    return EMPTY


def _scrubbed(items: list[dict[str, Any]] | None, kept: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each JSON record with only the ``kept`` keys (the rest emptied, so it still parses)."""
    out = []
    for item in items or []:
        clean = {key: value for key, value in item.items() if key in kept}
        for key in item:
            if key not in kept:
                clean[key] = EMPTY if isinstance(item[key], str) else None
        out.append(clean)
    return out


def _scrub_json(row: Any, name: str, kept: tuple[str, ...]) -> bool:
    current = getattr(row, name)
    if current is None:
        return False
    scrubbed = _scrubbed(current, kept)
    if scrubbed == current:
        return False
    setattr(row, name, scrubbed)
    return True


def erase_conversation(
    session: Session,
    *,
    conversation_id: str,
    mail_files_root: Path,
    photo_files_root: Path | None = None,
) -> ConversationErasure:
    """Empty every place on the map that belongs to one conversation (in ``session``'s
    transaction; the caller commits). Files are deleted at once: a failed commit leaves
    rows that point at missing files, never files that outlive their rows."""
    removed: Counter[str] = Counter()
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return ConversationErasure(conversation_id, removed, [], False)
    _clear(conversation, ("buyer_name", "last_error"), removed, "conversations")

    for message in session.scalars(
        select(Message).where(Message.conversation_id == conversation_id)
    ):
        _clear(message, ("text", "text_sha256"), removed, "messages")

    drafts = list(session.scalars(select(Draft).where(Draft.conversation_id == conversation_id)))
    draft_ids = [draft.id for draft in drafts]
    for draft in drafts:
        changed = [
            _erase_final_text(draft),
            _emptied(
                draft, ("text", "decision_note", "override_reason", "evidence", "order_facts")
            ),
            _scrub_json(draft, "checks", _CHECK_KEPT_KEYS),
            _scrub_json(draft, "final_checks", _CHECK_KEPT_KEYS),
            _scrub_json(draft, "verdicts", _VERDICT_KEPT_KEYS),
        ]
        removed["drafts"] += any(changed)

    for event in session.scalars(
        select(ReviewEvent).where(ReviewEvent.conversation_id == conversation_id)
    ):
        _clear(event, ("text_before", "text_after", "note"), removed, "review_events")

    removed["idempotency_keys"] += _delete(
        session, IdempotencyKey, IdempotencyKey.conversation_id == conversation_id
    )
    removed["order_bindings"] += _delete(
        session, OrderBinding, OrderBinding.conversation_id == conversation_id
    )
    _erase_mail(session, conversation_id, mail_files_root, removed)
    _erase_photos(session, conversation_id, photo_files_root, removed)
    removed["reply_notices"] += _delete(
        session, ReplyNotice, ReplyNotice.conversation_id == conversation_id
    )
    _erase_audit(session, conversation_id, draft_ids, removed)
    cards = _erase_slack(session, conversation_id, draft_ids, removed)
    learned = _erase_learned(session, draft_ids, removed)
    return ConversationErasure(conversation_id, +removed, cards, learned)


def _erase_final_text(draft: Draft) -> bool:
    """Empty what an agent sent, keeping *whether* they edited the draft (article usage
    counts unedited approvals: ``final_text`` None or equal to ``text``)."""
    if draft.final_text in (None, EMPTY, EDITED_MARKER):
        return False
    draft.final_text = EDITED_MARKER if draft.final_text != draft.text else EMPTY
    return True


def _delete(session: Session, model: Any, condition: Any) -> int:
    rows = list(session.scalars(select(model).where(condition)))
    for row in rows:
        session.delete(row)
    return len(rows)


def _erase_mail(session: Session, conversation_id: str, root: Path, removed: Counter[str]) -> None:
    thread = session.scalars(
        select(MailThread).where(MailThread.conversation_id == conversation_id)
    ).first()
    if thread is not None and thread.relay_address != _erased_relay(thread.id):
        # (relay_address, order_key) is unique: a per-row placeholder keeps it so.
        thread.relay_address = _erased_relay(thread.id)
        thread.order_key = EMPTY
        thread.subject = EMPTY
        thread.asin = None
        removed["mail_threads"] += 1
    for mail in session.scalars(
        select(InboundMail).where(InboundMail.conversation_id == conversation_id)
    ):
        erase_inbound_mail(mail, mail_files_root=root, removed=removed)
    for reply in session.scalars(
        select(OutboundMail).where(OutboundMail.conversation_id == conversation_id)
    ):
        # Outbox attachments are the seller's own documents: the rows forget them, the
        # files stay.
        _clear(
            reply,
            (
                "to_address",
                "subject",
                "body",
                "in_reply_to",
                "references",
                "attachments",
                "server_reply",
                "last_error",
            ),
            removed,
            "mail_outbox",
        )


def _erase_photos(
    session: Session, conversation_id: str, root: Path | None, removed: Counter[str]
) -> None:
    """Chat photos: the files (unless another conversation stored the same bytes: the store
    is content-addressed) and their names."""
    for photo in session.scalars(
        select(BuyerPhoto).where(BuyerPhoto.conversation_id == conversation_id)
    ):
        shared = session.scalars(
            select(BuyerPhoto.id).where(
                BuyerPhoto.path == photo.path, BuyerPhoto.conversation_id != conversation_id
            )
        ).first()
        if root is not None and photo.path and shared is None:
            removed["files"] += _delete_file(root, photo.path)
        _clear(photo, ("filename", "path", "sha256"), removed, "buyer_photos")


def erase_inbound_mail(mail: InboundMail, *, mail_files_root: Path, removed: Counter[str]) -> None:
    """One stored mail: its raw file and attachments deleted, its headers emptied (the
    Message-ID stays, so the poller never imports the mail again)."""
    paths = [mail.raw_path, *(str(a.get("path") or "") for a in mail.attachments or [])]
    removed["files"] += sum(_delete_file(mail_files_root, path) for path in paths if path)
    _clear(
        mail,
        (
            "from_address",
            "subject",
            "raw_path",
            "reason",
            "order_id",
            "references",
            "attachments",
            "source",
        ),
        removed,
        "mail_inbound",
    )


def _erased_relay(thread_id: int) -> str:
    return f"erased-{thread_id}"


def _delete_file(root: Path, relative: str) -> int:
    """Delete a stored mail file under ``root`` (a recorded path is never trusted to stay
    inside it); 1 when a file was deleted."""
    base = root.resolve()
    try:
        target = (base / relative).resolve()
    except (OSError, ValueError):
        return 0
    if not target.is_relative_to(base) or not target.is_file():
        return 0
    target.unlink()
    return 1


def _erase_audit(
    session: Session, conversation_id: str, draft_ids: list[int], removed: Counter[str]
) -> None:
    entries = session.scalars(
        select(AuditLog).where(
            or_(
                (AuditLog.entity_type == "conversation") & (AuditLog.entity_id == conversation_id),
                (AuditLog.entity_type == "draft")
                & AuditLog.entity_id.in_([str(i) for i in draft_ids]),
            )
        )
    )
    for entry in entries:
        detail = dict(entry.detail or {})
        if any(detail.get(key) for key in _AUDIT_PII_KEYS):
            entry.detail = {
                key: (None if key in _AUDIT_PII_KEYS else value) for key, value in detail.items()
            }
            removed["audit_entries"] += 1


def _erase_slack(
    session: Session, conversation_id: str, draft_ids: list[int], removed: Counter[str]
) -> list[SlackCardRef]:
    if draft_ids:
        for action in session.scalars(
            select(SlackAction).where(SlackAction.draft_id.in_(draft_ids))
        ):
            _clear(action, ("text",), removed, "slack_actions")
    cards = session.scalars(select(SlackCard).where(SlackCard.conversation_id == conversation_id))
    return [SlackCardRef(card.draft_id, card.channel, card.ts) for card in cards if card.ts]


def _erase_learned(session: Session, draft_ids: list[int], removed: Counter[str]) -> bool:
    if not draft_ids:
        return False
    for suggestion in session.scalars(
        select(KbSuggestion).where(KbSuggestion.draft_id.in_(draft_ids))
    ):
        _clear(suggestion, ("draft_text", "final_text", "changes"), removed, "kb_suggestions")
        if suggestion.status == "open":
            # An emptied suggestion has nothing left to accept.
            suggestion.status = "dismissed"
            suggestion.decided_by = "privacy"
    learned = _delete(
        session,
        LearnedQuestion,
        LearnedQuestion.learned_from.in_([f"draft:{i}" for i in draft_ids]),
    )
    removed["learned_questions"] += learned
    return learned > 0


def delete_order(session: Session, *, order_id: str) -> int:
    """Delete one order and its lines (1 when it existed)."""
    order = session.get(Order, order_id)
    if order is None:
        return 0
    session.delete(order)
    return 1
