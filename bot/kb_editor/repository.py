"""All SQL of the editor: usage statistics, gap candidates and suggestions.

Keyword-only functions that take the session. Draft fields that live in JSON (citations)
are counted in Python so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.checks.redaction import redact_pii
from bot.conversations.models import Draft, Message
from bot.conversations.states import DraftStatus, MessageRole
from bot.kb_editor.diff import change_ratio
from bot.kb_editor.errors import SuggestionNotFound
from bot.kb_editor.gaps import GapQuestion, shorten
from bot.kb_editor.models import KbScannedDraft, KbSuggestion
from knowledge_base.clock import utcnow
from knowledge_base.models import Article, ArticleRevision

# Hand-off reasons an article could fix; sensitive subjects, requests for a person and
# marketplace-account questions go to a person whatever the KB says.
KNOWLEDGE_HANDOFFS = frozenset({"no_knowledge", "low_confidence", "out_of_scope"})
# Reviewed drafts: a person judged the text (superseded / no-response drafts say nothing).
_REVIEWED = (DraftStatus.SENT.value, DraftStatus.REJECTED.value)


@dataclass(frozen=True)
class ArticleUsage:
    """How drafts used an article: citing drafts, reviewed ones, sent without an edit."""

    cited: int = 0
    reviewed: int = 0
    approved_unedited: int = 0

    @property
    def approved_unedited_share(self) -> float | None:
        """Of the reviewed drafts citing the article, the share sent exactly as drafted."""
        return self.approved_unedited / self.reviewed if self.reviewed else None


def _cited_article_ids(citations: Iterable[dict[str, Any]]) -> set[str]:
    return {str(c["article_id"]) for c in citations if isinstance(c, dict) and "article_id" in c}


def article_usage(session: Session, *, since: datetime) -> dict[str, ArticleUsage]:
    """Usage of every cited article by drafts created since ``since``."""
    rows = session.execute(
        select(Draft.citations, Draft.status, Draft.text, Draft.final_text).where(
            Draft.created_at >= since
        )
    ).all()
    counts: dict[str, list[int]] = {}
    for citations, status, text, final_text in rows:
        reviewed = status in _REVIEWED
        unedited = status == DraftStatus.SENT.value and (final_text is None or final_text == text)
        for article_id in _cited_article_ids(citations or []):
            entry = counts.setdefault(article_id, [0, 0, 0])
            entry[0] += 1
            entry[1] += int(reviewed)
            entry[2] += int(unedited)
    return {key: ArticleUsage(*value) for key, value in counts.items()}


def _buyer_texts(session: Session, message_ids: set[int]) -> dict[int, str]:
    if not message_ids:
        return {}
    rows = session.execute(
        select(Message.id, Message.text).where(
            Message.id.in_(message_ids), Message.role == MessageRole.BUYER.value
        )
    ).all()
    return {int(message_id): str(text) for message_id, text in rows}


def gap_reason(draft: Draft, *, low_confidence: float, heavy_edit: float) -> str | None:
    """Why a draft shows a knowledge gap, or None when it does not."""
    if draft.status == DraftStatus.SUPERSEDED.value:
        return None
    if draft.handoff:
        reason = draft.handoff_reason or ""
        return f"hand-off: {reason}" if reason in KNOWLEDGE_HANDOFFS else None
    if draft.status == DraftStatus.REJECTED.value:
        return "rejected"
    if draft.confidence < low_confidence:
        return "low confidence"
    if (
        draft.status == DraftStatus.SENT.value
        and draft.final_text is not None
        and change_ratio(draft.text, draft.final_text) >= heavy_edit
    ):
        return "heavily edited"
    return None


def gap_questions(
    session: Session,
    *,
    since: datetime,
    low_confidence: float,
    heavy_edit: float,
    limit: int = 2000,
) -> list[GapQuestion]:
    """Buyer questions since ``since`` whose drafts show the KB fell short (newest first)."""
    drafts = list(
        session.execute(
            select(Draft)
            .where(Draft.created_at >= since, Draft.status != DraftStatus.SUPERSEDED.value)
            .where(
                or_(
                    Draft.handoff.is_(True),
                    Draft.confidence < low_confidence,
                    Draft.status == DraftStatus.REJECTED.value,
                    Draft.final_text.is_not(None),
                )
            )
            .order_by(Draft.created_at.desc(), Draft.id.desc())
            .limit(limit)
        ).scalars()
    )
    reasons = {
        d.id: r
        for d in drafts
        if (r := gap_reason(d, low_confidence=low_confidence, heavy_edit=heavy_edit))
    }
    wanted = {m for d in drafts if d.id in reasons for m in (d.message_ids or [d.message_id])}
    texts = _buyer_texts(session, wanted)
    out: list[GapQuestion] = []
    for draft in drafts:
        if draft.id not in reasons:
            continue
        parts = [texts[m] for m in (draft.message_ids or [draft.message_id]) if m in texts]
        text = redact_pii(shorten(" ".join(parts)))  # shown to leads: PII masked (issue 16)
        if text:
            out.append(
                GapQuestion(
                    text=text,
                    reason=reasons[draft.id],
                    draft_id=draft.id,
                    conversation_id=draft.conversation_id,
                    created_at=draft.created_at,
                )
            )
    return out


def unscanned_edited_drafts(session: Session, *, since: datetime, limit: int = 500) -> list[Draft]:
    """Sent drafts since ``since`` not yet considered for suggestions, oldest first."""
    scanned = select(KbScannedDraft.draft_id)
    return list(
        session.execute(
            select(Draft)
            .where(Draft.status == DraftStatus.SENT.value, Draft.created_at >= since)
            .where(Draft.id.not_in(scanned))
            .order_by(Draft.id)
            .limit(limit)
        ).scalars()
    )


def mark_scanned(session: Session, *, draft_id: int, suggestions: int) -> None:
    """Remember that a draft was considered (whether or not it produced a suggestion)."""
    session.add(KbScannedDraft(draft_id=draft_id, scanned_at=utcnow(), suggestions=suggestions))


def add_suggestion(
    session: Session,
    *,
    draft_id: int,
    article_id: str,
    base_revision: int,
    changes: Sequence[dict[str, Any]],
    draft_text: str,
    final_text: str,
    ratio: float,
) -> KbSuggestion:
    """Store an open suggestion."""
    suggestion = KbSuggestion(
        draft_id=draft_id,
        article_id=article_id,
        base_revision=base_revision,
        # Learned from buyer conversations: stored with buyer PII masked (issue 16).
        changes=[{**change, "after": redact_pii(str(change.get("after") or ""))}
                 for change in changes],
        draft_text=redact_pii(draft_text),
        final_text=redact_pii(final_text),
        change_ratio=round(ratio, 4),
        status="open",
        created_at=utcnow(),
    )
    session.add(suggestion)
    session.flush()
    return suggestion


def list_suggestions(session: Session, *, status: str | None = "open") -> list[KbSuggestion]:
    """Suggestions with ``status`` (None: all), newest first."""
    query = select(KbSuggestion).order_by(KbSuggestion.created_at.desc(), KbSuggestion.id.desc())
    if status is not None:
        query = query.where(KbSuggestion.status == status)
    return list(session.execute(query).scalars())


def count_open_suggestions(session: Session) -> dict[str, int]:
    """Open suggestions per article id."""
    counts: dict[str, int] = {}
    for (article_id,) in session.execute(
        select(KbSuggestion.article_id).where(KbSuggestion.status == "open")
    ):
        counts[article_id] = counts.get(article_id, 0) + 1
    return counts


def get_suggestion(
    session: Session, *, suggestion_id: int, for_update: bool = False
) -> KbSuggestion:
    """One suggestion, or SuggestionNotFound."""
    query = select(KbSuggestion).where(KbSuggestion.id == suggestion_id)
    if for_update:
        query = query.with_for_update()
    suggestion = session.execute(query).scalar_one_or_none()
    if suggestion is None:
        raise SuggestionNotFound(f"no suggestion with id {suggestion_id}")
    return suggestion


def close_suggestion(
    session: Session,
    *,
    suggestion: KbSuggestion,
    status: str,
    actor: str,
    accepted_revision: int | None = None,
) -> None:
    """Mark a suggestion accepted or dismissed."""
    suggestion.status = status
    suggestion.decided_by = actor
    suggestion.decided_at = utcnow()
    suggestion.accepted_revision = accepted_revision
    session.flush()


def lock_article(session: Session, *, article_id: str) -> None:
    """Row-lock an article for the transaction so concurrent edits of it queue up.

    Without it, two edits based on the same revision could both pass the revision check on
    PostgreSQL; with it the second sees the first's revision and gets revision_conflict.
    (SQLite transactions already start with BEGIN IMMEDIATE.)
    """
    session.execute(
        select(Article.id)
        .where(Article.id == article_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def translation_articles(session: Session, *, source_id: str) -> list[Article]:
    """The articles whose newest revision is a translation of ``source_id`` (revisions
    loaded), by id."""
    newest = and_(
        ArticleRevision.article_id == Article.id,
        ArticleRevision.number == Article.latest_revision,
    )
    return list(
        session.execute(
            select(Article)
            .join(ArticleRevision, newest)
            .where(ArticleRevision.translation_of == source_id)
            .options(selectinload(Article.revisions))
            .order_by(Article.id)
        ).scalars()
    )
