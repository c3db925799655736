"""Suggestions from agents' edits: find them, show them as a diff, accept or dismiss them.

:func:`collect_suggestions` is idempotent (each sent draft is considered once), so the
Suggestions page can call it on every visit instead of hooking into the approval path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.conversations.models import Draft
from bot.kb_editor import repository as repo
from bot.kb_editor.diff import SideBySideDiff, change_ratio, side_by_side
from bot.kb_editor.errors import SuggestionClosed, SuggestionStale
from bot.kb_editor.models import KbSuggestion
from bot.kb_editor.suggestions import TextChange, apply_changes, propose_changes
from knowledge_base import repository as kb
from knowledge_base.errors import ArticleNotFound, RevisionNotFound
from knowledge_base.models import Article
from knowledge_base.schemas import ArticleFields, ArticleUpdate

SCAN_DAYS = 90


@dataclass(frozen=True)
class SuggestionView:
    """A suggestion as a lead sees it: the proposal against the article's newest text."""

    suggestion: KbSuggestion
    title: str
    latest_revision: int
    proposed_body: str
    diff: SideBySideDiff
    applicable: int
    stale: int


def _cited_articles(draft: Draft) -> list[tuple[str, int]]:
    seen: dict[str, int] = {}
    for citation in draft.citations or []:
        article_id = str(citation.get("article_id", ""))
        if article_id and article_id not in seen:
            seen[article_id] = int(citation.get("revision", 0))
    return list(seen.items())


def suggestions_for_draft(session: Session, *, draft: Draft) -> list[KbSuggestion]:
    """Store the suggestions one sent draft implies (none when the edit was small)."""
    final_text = draft.final_text
    if final_text is None or final_text == draft.text:
        return []
    cited: list[tuple[str, int, str]] = []
    for article_id, revision in _cited_articles(draft):
        try:
            body = kb.get_revision(session, article_id=article_id, number=revision).body
        except RevisionNotFound:
            continue  # the article was deleted since; nothing to improve
        cited.append((article_id, revision, body))
    proposals = propose_changes(
        article_bodies=[body for _, _, body in cited], draft_text=draft.text,
        final_text=final_text,
    )
    ratio = change_ratio(draft.text, final_text)
    return [
        repo.add_suggestion(
            session, draft_id=draft.id, article_id=article_id, base_revision=revision,
            changes=[c.as_json() for c in changes], draft_text=draft.text,
            final_text=final_text, ratio=ratio,
        )
        for (article_id, revision, _), changes in zip(cited, proposals, strict=True)
        if changes
    ]


def collect_suggestions(session: Session, *, now: datetime) -> int:
    """Consider every sent draft not yet considered; returns how many suggestions were made."""
    made = 0
    for draft in repo.unscanned_edited_drafts(session, since=now - timedelta(days=SCAN_DAYS)):
        created = suggestions_for_draft(session, draft=draft)
        repo.mark_scanned(session, draft_id=draft.id, suggestions=len(created))
        made += len(created)
    session.flush()
    return made


def _changes(suggestion: KbSuggestion) -> list[TextChange]:
    return [TextChange.from_json(c) for c in suggestion.changes]


def view_suggestion(session: Session, *, suggestion: KbSuggestion) -> SuggestionView:
    """The proposal applied to the article's newest revision, as a side-by-side diff."""
    article = kb.get_article(session, article_id=suggestion.article_id)
    latest = article.revisions[-1]
    result = apply_changes(latest.body, _changes(suggestion))
    return SuggestionView(
        suggestion=suggestion, title=latest.title, latest_revision=latest.number,
        proposed_body=result.body, diff=side_by_side(latest.body, result.body),
        applicable=result.applied, stale=result.skipped,
    )


def accept_suggestion(
    session: Session, *, suggestion_id: int, actor: str, publish: bool = False
) -> Article:
    """Apply the proposal as a new revision of the article (published on request)."""
    suggestion = repo.get_suggestion(session, suggestion_id=suggestion_id, for_update=True)
    if suggestion.status != "open":
        raise SuggestionClosed(f"suggestion {suggestion_id} was already {suggestion.status}")
    try:
        article = kb.get_article(session, article_id=suggestion.article_id)
    except ArticleNotFound as exc:
        raise SuggestionStale(f"the article of suggestion {suggestion_id} was deleted") from exc
    latest = article.revisions[-1]
    result = apply_changes(latest.body, _changes(suggestion))
    if result.applied == 0 or result.body == latest.body:
        raise SuggestionStale(
            f"suggestion {suggestion_id} no longer fits article {article.id!r}: "
            "the sentences it changes are gone; dismiss it"
        )
    fields = ArticleFields.model_validate(latest).model_dump()
    update = ArticleUpdate(revision=latest.number, **(fields | {"body": result.body}))
    kb.update_article(
        session, article_id=article.id, update=update, actor=actor,
        note=f"accepted suggestion {suggestion_id} (from draft {suggestion.draft_id})",
    )
    if publish:
        kb.publish_article(session, article_id=article.id, actor=actor, article=article)
    repo.close_suggestion(
        session, suggestion=suggestion, status="accepted", actor=actor,
        accepted_revision=article.latest_revision,
    )
    kb.record_audit(
        session, actor=actor, action="suggestion.accept", entity_type="kb_suggestion",
        entity_id=str(suggestion_id),
        detail={"article_id": article.id, "revision": article.latest_revision,
                "published": publish},
    )
    return article


def dismiss_suggestion(session: Session, *, suggestion_id: int, actor: str) -> None:
    """Close a suggestion without changing the article."""
    suggestion = repo.get_suggestion(session, suggestion_id=suggestion_id, for_update=True)
    if suggestion.status != "open":
        raise SuggestionClosed(f"suggestion {suggestion_id} was already {suggestion.status}")
    repo.close_suggestion(session, suggestion=suggestion, status="dismissed", actor=actor)
    kb.record_audit(
        session, actor=actor, action="suggestion.dismiss", entity_type="kb_suggestion",
        entity_id=str(suggestion_id), detail={"article_id": suggestion.article_id},
    )
