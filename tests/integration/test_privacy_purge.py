"""Retention (issue 16): past the retention date, ``purge`` leaves no buyer PII anywhere on
the map — SQL rows, the Chroma directory, the data dir, the logs — while article usage and
decisions stay. SQLite and PostgreSQL; the file greps on SQLite (the database is a file)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.conversations.models import Conversation, Draft, Message
from bot.conversations.states import DraftStatus
from bot.kb_editor import repository as kb_repo
from bot.kb_editor.models import KbSuggestion
from bot.learning import LearnFromApprovals
from bot.orders.models import Order
from bot.privacy.models import PrivacyErasure
from bot.privacy.service import PrivacyDesk
from bot.privacy.wiring import build_privacy_desk, live_chunk_ids
from bot.services import Services, build_services
from bot.worker import DraftingWorker
from ingest.index import ChromaIndex
from ingest.pipeline import ingest_paths
from knowledge_base.clock import utcnow
from knowledge_base.models import LearnedQuestion
from tests.fakes import FakeDrafter, FakeEmbedder

NAME, ADDRESS, EMAIL = "Maria Lopez", "42 Elm Street", "maria.lopez@example.com"
ORDER_ID = "112-3456789-1234567"  # the order FakeDrafter's drafts state
PII = (NAME, "Lopez", ADDRESS, EMAIL, ORDER_ID)
ARTICLE = """---
title: Shipping times
questions:
  - How long does shipping take?
---
Every order ships within 2 business days.
"""


@pytest.fixture
def services(workflow_settings: Any, tmp_path: Path) -> Iterator[Services]:
    """Real SQL and a real embedded Chroma directory; fake embedder and drafter (the
    drafter's low confidence makes every draft a knowledge-gap entry)."""
    data_dir = Path(workflow_settings.data_dir)
    services = build_services(
        workflow_settings,
        embedder=FakeEmbedder(),
        index=ChromaIndex.persistent(data_dir / "chroma"),
        drafter=FakeDrafter(confidence=0.3),
        migrate=False,
    )
    services.notifiers.append(
        LearnFromApprovals(session_factory=services.session_factory, resync=services.resync_index)
    )
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "shipping-times.md").write_text(ARTICLE, encoding="utf-8")
    ingest_paths(
        [kb],
        session_factory=services.session_factory,
        index=services.index,
        embedder=services.embedder,
    )
    yield services
    services.close()


@pytest.fixture
def log_capture() -> Iterator[io.StringIO]:
    """Everything logged during the test, as a log file would hold it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _buyer_conversation(services: Services) -> str:
    """A delivered order; a buyer with a name, address, e-mail and order id; one draft
    approved as drafted (learned question) and one heavily edited (KB suggestion)."""
    with services.session_factory() as session, session.begin():
        session.add(
            Order(
                order_id=ORDER_ID,
                purchase_date=date.today() - timedelta(days=6),
                status="Shipped",
                delivered_at=date.today() - timedelta(days=2),
                buyer_name=NAME,
                source="test",
                content_hash="x",
                tracking_number="1Z999",
            )
        )
    workflow = services.workflow
    conversation = workflow.start_conversation(buyer_name=NAME)
    worker = DraftingWorker(workflow=workflow)
    workflow.receive_buyer_message(
        conversation_id=conversation.id,
        # Learned as an example question: learning keeps no name or address (bot.learning),
        # so those come in the next message.
        text=f"Hi, my parcel has not arrived, order {ORDER_ID}",
    )
    worker.run_until_idle()
    (first,) = workflow.list_drafts()
    workflow.approve(draft_id=first.id, actor="agent@example.com")
    workflow.receive_buyer_message(
        conversation_id=conversation.id,
        text=f"I'm {NAME} at {ADDRESS}. You can also write to {EMAIL}",
    )
    worker.run_until_idle()
    (second,) = workflow.list_drafts()
    workflow.approve(
        draft_id=second.id,
        actor="agent@example.com",
        text=f"Dear {NAME}, we will write to {EMAIL} about your parcel.",
    )
    with services.session_factory() as session, session.begin():
        # As a suggestion stored before masking existed would hold it.
        session.add(
            KbSuggestion(
                draft_id=second.id,
                article_id="shipping-times",
                base_revision=1,
                changes=[{"before": None, "after": f"Sent to {ADDRESS} for {NAME}."}],
                draft_text="x",
                final_text=f"Dear {NAME}",
                status="open",
            )
        )
    # A log line quoting buyer data, as a failing mail or order lookup would write it.
    logging.getLogger("tests.privacy").warning("mail from %s about %s failed", EMAIL, ORDER_ID)
    return conversation.id


def _usage(services: Services) -> dict[str, Any]:
    with services.session_factory() as session:
        return kb_repo.article_usage(session, since=utcnow() - timedelta(days=365))


def _gap_texts(services: Services) -> list[str]:
    with services.session_factory() as session:
        return [
            q.text
            for q in kb_repo.gap_questions(
                session, since=utcnow() - timedelta(days=365), low_confidence=0.5, heavy_edit=0.4
            )
        ]


def _desk(services: Services, *, days_later: float) -> PrivacyDesk:
    """The desk as ``serve`` wires it, with the clock moved ``days_later`` ahead."""
    later = utcnow() + timedelta(days=days_later)
    return build_privacy_desk(
        services.settings,
        session_factory=services.session_factory,
        resync_index=services.resync_index,
        live_index_ids=lambda: live_chunk_ids(services),
        clock=lambda: later,
    )


def _files_containing(root: Path, needles: tuple[str, ...]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}: {n}" for n in needles if n.encode() in data]
    return found


def test_purge_after_retention_leaves_no_buyer_pii_and_keeps_the_analytics(
    services: Services, log_capture: io.StringIO, db_backend: str
) -> None:
    conversation_id = _buyer_conversation(services)
    waiting = services.workflow.start_conversation(buyer_name="Bo Chen")
    services.workflow.receive_buyer_message(conversation_id=waiting.id, text="Any news?")
    usage_before = _usage(services)
    with services.session_factory() as session:
        learned = session.scalar(select(LearnedQuestion.text))  # learned from the buyer
    assert learned and NAME not in learned
    assert any(EMAIL not in text and "[EMAIL]" in text for text in _gap_texts(services))
    assert any(learned in chunk.text for chunk in services.index.all_chunks())

    not_yet = _desk(services, days_later=20).purge()  # delivered 2 days ago: 22 < 30
    assert not_yet.conversations == [] and not not_yet.removed
    dry = _desk(services, days_later=29).purge(dry_run=True)
    assert dry.conversations == [conversation_id]

    report = _desk(services, days_later=29).purge()  # 31 days after delivery

    assert report.conversations == [conversation_id]
    assert report.removed["messages"] >= 4 and report.removed["drafts"] == 2
    assert report.removed["orders"] == 1 and report.removed["learned_questions"] == 1
    assert report.index_resynced
    assert _usage(services) == usage_before
    assert _gap_texts(services) == []
    with services.session_factory() as session:
        drafts = list(session.scalars(select(Draft).order_by(Draft.id)))
        assert [d.status for d in drafts] == [DraftStatus.SENT.value] * 2
        assert all(d.citations and d.decided_at and d.decided_by for d in drafts)
        assert session.get(Conversation, conversation_id).buyer_name is None  # type: ignore[union-attr]
        assert all(
            m.text == ""
            for m in session.scalars(
                select(Message).where(Message.conversation_id == conversation_id)
            )
        )
        # Still waiting for a person: kept until it is answered, whatever its age.
        assert session.get(Conversation, waiting.id).buyer_name == "Bo Chen"  # type: ignore[union-attr]
        assert session.get(Order, ORDER_ID) is None
        assert session.scalar(select(KbSuggestion.final_text)) == ""
        audit = list(session.scalars(select(PrivacyErasure)))
        assert {a.reason for a in audit} == {"purge"}
        assert not any(n in repr(a.removed) + a.subject_sha256 for a in audit for n in PII)
    assert not any(NAME in c.text or "Lopez" in c.text for c in services.index.all_chunks())
    assert [n for n in PII if n in log_capture.getvalue()] == []
    data_dir = Path(services.settings.data_dir)
    assert _files_containing(data_dir / "chroma", PII) == []
    if db_backend == "sqlite":
        assert _files_containing(data_dir.parent, PII) == []  # the SQLite file and data dir

    again = _desk(services, days_later=29).purge()
    assert again.conversations == [] and again.nothing_left


def test_suggestions_learned_from_buyers_are_stored_with_their_pii_masked(
    services: Services,
) -> None:
    _buyer_conversation(services)
    with services.session_factory() as session, session.begin():
        draft_id = session.scalars(select(Draft.id).order_by(Draft.id)).first()  # no suggestion yet
        assert draft_id is not None
        stored = kb_repo.add_suggestion(
            session,
            draft_id=draft_id,
            article_id="shipping-times",
            base_revision=1,
            changes=[
                {
                    "before": "Every order ships within 2 business days.",
                    "after": f"We write to {EMAIL} or call +1 (555) 123-4567.",
                }
            ],
            draft_text="x",
            final_text=f"Dear {NAME}, see {ADDRESS} soon.",
            ratio=0.9,
        )
    assert stored.changes[0]["before"] == "Every order ships within 2 business days."
    assert stored.changes[0]["after"] == "We write to [EMAIL] or call [PHONE]."
    assert stored.final_text == "Dear [NAME], see [ADDRESS] soon."
