"""Editor services on a real (SQLite) database: usage numbers, gaps, suggestions, uploads,
export/import — without the web layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Draft
from bot.database import upgrade_to_head
from bot.kb_editor import overview, review, transfer, uploads
from bot.kb_editor.errors import ImportRejected, SuggestionClosed, SuggestionStale, UploadRejected
from bot.kb_editor.models import KbSuggestion
from knowledge_base import repository as kb
from knowledge_base.db import make_engine, make_session_factory, transaction, utcnow
from knowledge_base.models import Article, AuditLog
from knowledge_base.schemas import ArticleCreate, ArticleUpdate
from tests.factories import add_draft, pdf_bytes
from tests.fakes import FakeEmbedder

WARRANTY = (
    "Electric kettles have a 2-year warranty. Cookware has a 1-year warranty.\n\n"
    "## How to claim\nSend us a message with a photo of the problem.\n"
)


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    upgrade_to_head(engine)
    return make_session_factory(engine)


def _article(session: Session, title: str = "Our warranty", body: str = WARRANTY,
             publish: bool = True) -> Article:
    return kb.create_article(
        session, content=ArticleCreate(title=title, body=body, questions=["Is it covered?"]),
        actor="lead@example.com", publish=publish,
    )


def _cite(article: Article, revision: int = 1) -> list[dict[str, Any]]:
    return [{"article_id": article.id, "revision": revision, "title": "t", "chunk_id": "c"}]


# --- the KB list ---------------------------------------------------------------------------


def test_article_rows_count_citations_of_the_last_30_days_and_unedited_share(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        warranty = _article(session)
        _article(session, title="Delivery times", body="Parcels arrive in 2 days.")
        cite = _cite(warranty)
        add_draft(session, question="q1", citations=cite)  # sent unedited
        add_draft(session, question="q2", citations=cite, final_text="Edited reply text.")
        add_draft(session, question="q3", citations=cite, status="rejected")
        add_draft(session, question="q4", citations=cite, status="pending_review")
        add_draft(session, question="old", citations=cite, age_days=45)
    with factory() as session:
        rows = {r.article.id: r for r in overview.article_rows(session, now=utcnow())}
        usage = rows[warranty.id].usage
        assert (usage.cited, usage.reviewed, usage.approved_unedited) == (4, 3, 1)
        assert usage.approved_unedited_share == pytest.approx(1 / 3)
        assert rows["delivery-times"].usage.cited == 0
        assert rows["delivery-times"].usage.approved_unedited_share is None
        found = overview.article_rows(session, now=utcnow(), query="KETTLES warranty")
        assert [r.article.id for r in found] == [warranty.id]
        assert overview.article_rows(session, now=utcnow(), status="draft") == []


# --- knowledge gaps ------------------------------------------------------------------------


def test_gap_questions_come_from_failed_drafts_only(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        add_draft(session, question="Can you engrave my name on the knife?",
                  status="pending_review", handoff=True, handoff_reason="no_knowledge",
                  confidence=0.1)
        add_draft(session, question="Is engraving of knives possible?", status="rejected")
        add_draft(session, question="I want to sue you", handoff=True,
                  handoff_reason="sensitive:legal", status="pending_review")
        add_draft(session, question="Where is my parcel?", text="It ships today from us.",
                  final_text="It ships today from us.")
        add_draft(session, question="Do you sell garden chairs?", text="We only sell kitchenware.",
                  final_text="Yes: our garden range launches in May, with chairs and tables.")
        add_draft(session, question="Superseded one", status="superseded", handoff=True,
                  handoff_reason="no_knowledge")
    clusters = overview.knowledge_gaps(
        session_factory=factory, embedder=FakeEmbedder(dimension=256), now=utcnow(),
        similarity=0.3,
    )
    reasons = {q.text: q.reason for c in clusters for q in c.questions}
    assert reasons == {
        "Can you engrave my name on the knife?": "hand-off: no_knowledge",
        "Is engraving of knives possible?": "rejected",
        "Do you sell garden chairs?": "heavily edited",
    }
    assert clusters[0].count >= 1
    assert all(c.suggested_title() for c in clusters)


# --- suggestions ---------------------------------------------------------------------------


def _edited_draft(session: Session, article: Article) -> Draft:
    draft_text = "Hi Maria,\n\n" + WARRANTY.split("\n")[0] + "\n\nBest wishes,\nThe team"
    final = draft_text.replace("Electric kettles have a 2-year warranty.",
                               "Electric kettles have a 3-year warranty from delivery.")
    return add_draft(session, question="warranty?", text=draft_text, final_text=final,
                     citations=_cite(article))


def test_collect_then_accept_creates_a_revision_and_is_idempotent(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        article = _article(session)
        _edited_draft(session, article)
        add_draft(session, question="unedited", text=WARRANTY, citations=_cite(article))
    with transaction(factory) as session:
        assert review.collect_suggestions(session, now=utcnow()) == 1
    with transaction(factory) as session:
        assert review.collect_suggestions(session, now=utcnow()) == 0  # each draft once
        [suggestion] = session.execute(select(KbSuggestion)).scalars().all()
        view = review.view_suggestion(session, suggestion=suggestion)
        assert view.applicable == 1 and view.diff.changed
        assert "3-year warranty from delivery." in view.proposed_body
    with transaction(factory) as session:
        review.accept_suggestion(session, suggestion_id=suggestion.id, actor="lead@example.com")
    with factory() as session:
        stored = kb.get_article(session, article_id=article.id)
        assert stored.latest_revision == 2
        assert stored.published_revision == 1  # publishing stays a separate step
        assert "3-year warranty" in stored.revisions[-1].body
        closed = session.get(KbSuggestion, suggestion.id)
        assert closed is not None
        assert (closed.status, closed.accepted_revision) == ("accepted", 2)
        actions = set(session.execute(select(AuditLog.action)).scalars())
        assert {"suggestion.accept", "article.edit"} <= actions
    with transaction(factory) as session, pytest.raises(SuggestionClosed):
        review.accept_suggestion(session, suggestion_id=suggestion.id, actor="x")


def test_suggestion_that_no_longer_fits_is_stale_and_can_be_dismissed(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        article = _article(session)
        _edited_draft(session, article)
        review.collect_suggestions(session, now=utcnow())
        kb.update_article(
            session, article_id=article.id, actor="lead@example.com",
            update=ArticleUpdate(revision=1, title="Our warranty", body="Everything: 5 years."),
        )
        [suggestion] = session.execute(select(KbSuggestion)).scalars().all()
    with transaction(factory) as session, pytest.raises(SuggestionStale):
        review.accept_suggestion(session, suggestion_id=suggestion.id, actor="lead@example.com")
    with transaction(factory) as session:
        review.dismiss_suggestion(session, suggestion_id=suggestion.id, actor="lead@example.com")
    with factory() as session:
        assert kb.get_article(session, article_id=article.id).latest_revision == 2
        closed = session.get(KbSuggestion, suggestion.id)
        assert closed is not None and closed.status == "dismissed"


# --- uploads -------------------------------------------------------------------------------


def test_uploads_become_draft_articles_and_never_overwrite(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        _article(session, title="Gift wrap")
    files = [
        uploads.UploadedFile("../../etc/Gift wrap.md", b"# Gift wrap\n\nWe wrap gifts for free."),
        uploads.UploadedFile("engraving.pdf", pdf_bytes(
            "We engrave knives and boards. Engraving takes two extra days.", title="Engraving")),
        uploads.UploadedFile("faq.csv", b"question,answer\nDo you ship to Norway?,Yes we do.\n"),
    ]
    with transaction(factory) as session:
        created = uploads.create_draft_articles(session, uploads=files, actor="lead@example.com")
        ids = [a.id for a in created]
        assert ids[0] == "gift-wrap-2"  # the existing "gift-wrap" is untouched
        assert all(a.status == "draft" for a in created)
    with factory() as session:
        pdf_article = kb.get_article(session, article_id=ids[1])
        assert pdf_article.revisions[-1].title == "Engraving"
        assert "two extra days" in pdf_article.revisions[-1].body
        assert pdf_article.source == "upload:engraving.pdf"
        assert len(ids) == 3


@pytest.mark.parametrize(
    ("name", "data", "code", "words"),
    [
        ("virus.exe", b"MZ...", "unsupported_file_type", "not a supported file type"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "corrupt_document", "broken.pdf"),
        ("empty.txt", b"   \n", "empty_document", "empty.txt"),
    ],
)
def test_a_bad_file_stores_nothing(
    factory: sessionmaker[Session], name: str, data: bytes, code: str, words: str
) -> None:
    good = uploads.UploadedFile("good.md", b"# Good\n\nFine text.")
    with pytest.raises(UploadRejected) as caught, transaction(factory) as session:
        uploads.create_draft_articles(
            session, uploads=[good, uploads.UploadedFile(name, data)], actor="lead@example.com"
        )
    assert caught.value.code == code
    assert words in caught.value.message
    assert "draftdesk-upload" not in caught.value.message  # no server paths leak
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 0


def test_safe_filename_strips_directories_and_odd_characters() -> None:
    assert uploads.safe_filename("C:\\Users\\x\\Return Policy.PDF") == "Return Policy.pdf"
    assert uploads.safe_filename("../../<script>.md") == "script.md"
    assert uploads.safe_filename("noext") == "noext"


# --- export / import -----------------------------------------------------------------------


def test_export_import_round_trips_content_and_status(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(factory) as session:
        _article(session)
        _article(session, title="Draft only", body="Not ready yet.", publish=False)
        hidden = _article(session, title="Old promo", body="Ten percent off.")
        kb.unpublish_article(session, article_id=hidden.id, actor="lead@example.com")
    out = tmp_path / "export"
    with factory() as session:
        report = transfer.export_kb(session, directory=out)
        before = {a.id: kb.to_public(a) for a in kb.list_articles(session)}
    assert sorted(report.written) == sorted(before)
    assert "status: unpublished" in (out / "old-promo.md").read_text()

    engine = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    upgrade_to_head(engine)
    other = make_session_factory(engine)
    with transaction(other) as session:
        imported = transfer.import_kb(session, directory=out, actor="cli")
    assert sorted(imported.created) == sorted(before)
    with other() as session:
        after = {a.id: kb.to_public(a) for a in kb.list_articles(session)}
    fields = ("status", "title", "body", "intents", "questions", "tags", "locale")
    assert {k: [getattr(v, f) for f in fields] for k, v in after.items()} == {
        k: [getattr(v, f) for f in fields] for k, v in before.items()
    }
    with transaction(other) as session:
        again = transfer.import_kb(session, directory=out, actor="cli")
    assert (again.created, again.updated) == ([], [])


def test_import_with_a_bad_file_imports_nothing(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: Good\nstatus: published\n---\n\nFine.\n")
    (folder / "bad.md").write_text("---\ntitle: Bad\nstatus: live\n---\n\nHmm.\n")
    with pytest.raises(ImportRejected, match="status must be one of"), transaction(
        factory
    ) as session:
        transfer.import_kb(session, directory=folder, actor="cli")
    with factory() as session:
        assert kb.list_articles(session) == []
