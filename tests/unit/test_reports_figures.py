"""The week's review figures (issue 18) against seeded decisions and direct SQL counts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Conversation, Draft, Message
from bot.reports.edits import EditClass, classify_edit
from bot.reports.errors import InvalidWeek
from bot.reports.export import figures_csv
from bot.reports.figures import NO_ARTICLE, week_figures
from bot.reports.quality import quality_report
from bot.reports.week import parse_week
from knowledge_base.db import make_engine, make_session_factory

WEEK = parse_week("2026-W48", now=datetime(2026, 11, 30, tzinfo=UTC))
MONDAY = WEEK.start  # 2026-11-23 00:00 UTC
DRAFT = ("Hi Maria, I'm so sorry your kettle arrived damaged. We will send a replacement "
         "today at no cost; you do not need to return the damaged one. The Brightwater team")
LIGHT = DRAFT.replace("today", "tomorrow morning")
REWRITE = "Hello. Please send us a photo of the kettle and we will look into it. Thanks."


@pytest.fixture
def sessions(workflow_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(workflow_db_url)
    yield make_session_factory(engine)
    engine.dispose()


def decide(
    session: Session, *, agent: str, status: str = "sent", final_text: str | None = DRAFT,
    waited: timedelta = timedelta(hours=1), decided_at: datetime | None = None,
    handoff_reason: str | None = None, article: str | None = "damaged-items",
) -> Draft:
    """A conversation with one buyer message and a draft decided by ``agent``; a sent draft
    also gets its seller message, ``waited`` after the buyer wrote."""
    decided = decided_at or MONDAY + timedelta(days=2, hours=10)
    asked = decided - waited
    conversation = Conversation(id=uuid.uuid4().hex, token_hash=uuid.uuid4().hex,
                                channel="widget", state="answered", created_at=asked,
                                updated_at=decided)
    session.add(conversation)
    session.flush()
    buyer = Message(conversation_id=conversation.id, role="buyer", text="My kettle is dented",
                    status="answered", created_at=asked)
    session.add(buyer)
    session.flush()
    draft = Draft(
        conversation_id=conversation.id, message_id=buyer.id, message_ids=[buyer.id],
        status=status, text=DRAFT, handoff=handoff_reason is not None,
        handoff_reason=handoff_reason, confidence=0.8, kb_revisions={},
        citations=[{"article_id": article, "title": article.replace("-", " ").title()}]
        if article else [],
        created_at=asked, due_at=asked + timedelta(hours=24), decided_at=decided,
        decided_by=agent, final_text=final_text if status == "sent" else None,
    )
    session.add(draft)
    session.flush()
    if status == "sent":
        reply = Message(conversation_id=conversation.id, role="seller", text=final_text or DRAFT,
                        status="sent", created_at=decided, draft_id=draft.id,
                        approved_by=agent, approved_at=decided)
        session.add(reply)
        session.flush()
        draft.sent_message_id = reply.id
    return draft


def seed_week(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for _ in range(3):
            decide(session, agent="ana@example.com", waited=timedelta(minutes=30))
        decide(session, agent="ana@example.com", final_text=LIGHT, waited=timedelta(hours=2))
        decide(session, agent="ana@example.com", final_text=REWRITE, waited=timedelta(hours=30),
               article="returns")
        decide(session, agent="ana@example.com", status="rejected", handoff_reason="safety")
        decide(session, agent="ana@example.com", status="no_response_needed", article=None)
        decide(session, agent="ben@example.com", waited=timedelta(hours=26),
               handoff_reason="human_request")
        decide(session, agent="ben@example.com", waited=timedelta(hours=4))
        decide(session, agent="ben@example.com", status="escalated", handoff_reason="legal")
        # Outside the week, or never decided: not counted.
        decide(session, agent="ana@example.com", decided_at=MONDAY - timedelta(hours=1))
        decide(session, agent="ben@example.com", decided_at=WEEK.end)
        decide(session, agent="ben@example.com", status="superseded")


def sql_count(sessions: sessionmaker[Session], where: str, **params: object) -> int:
    with sessions() as session:
        return int(session.execute(text(
            "SELECT count(*) FROM drafts WHERE decided_at >= :start AND decided_at < :end "
            "AND status IN ('sent', 'rejected', 'escalated', 'no_response_needed') AND " + where
        ), {"start": WEEK.start, "end": WEEK.end, **params}).scalar_one())


def test_figures_per_agent_match_sql_counts(sessions: sessionmaker[Session]) -> None:
    seed_week(sessions)
    with sessions() as session:
        figures = week_figures(session, week=WEEK)
    rows = {row.key: row for row in figures.agents}
    assert set(rows) == {"ana@example.com", "ben@example.com"}
    for agent, row in rows.items():
        assert row.decided == sql_count(sessions, "decided_by = :a", a=agent)
        # Draft texts are encrypted at rest: SQL can count what was sent, not compare texts.
        assert row.sent == sql_count(sessions, "decided_by = :a AND status = 'sent'", a=agent)
        assert row.rejected == sql_count(
            sessions, "decided_by = :a AND status = 'rejected'", a=agent)
        assert row.handoffs == sql_count(sessions, "decided_by = :a AND handoff", a=agent)
    ana, ben = rows["ana@example.com"], rows["ben@example.com"]
    assert (ana.sent_unchanged, ana.sent_light, ana.sent_rewritten) == (3, 1, 1)
    assert (ana.rejected, ana.no_response, ben.escalated) == (1, 1, 1)
    assert ana.handoff_rate == pytest.approx(1 / 7) and ben.handoff_rate == pytest.approx(2 / 3)
    assert figures.total.decided == sql_count(sessions, "1 = 1") == 10
    assert dict(figures.handoff_reasons) == {
        "safety risk": 1, "asked for a person": 1, "legal threat or claim": 1}


def test_reply_times_median_and_late_replies(sessions: sessionmaker[Session]) -> None:
    seed_week(sessions)
    with sessions() as session:
        figures = week_figures(session, week=WEEK)
    rows = {row.key: row for row in figures.agents}
    # Ana: 30, 30, 30 min, 2 h, 30 h → median 30 min, one reply over 24 h.
    assert rows["ana@example.com"].replies == 5
    assert rows["ana@example.com"].median_first_reply_minutes == pytest.approx(30)
    assert rows["ana@example.com"].late_replies == 1
    # Ben: 26 h and 4 h → median 15 h, one late.
    assert rows["ben@example.com"].median_first_reply_minutes == pytest.approx(15 * 60)
    assert rows["ben@example.com"].late_replies == 1
    assert figures.total.late_replies == 2


def test_a_second_reply_to_the_same_wait_is_not_a_first_reply(
    sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        draft = decide(session, agent="ana@example.com", waited=timedelta(hours=1))
        session.add(Message(conversation_id=draft.conversation_id, role="seller",
                            text="One more thing.", status="sent", approved_by="ana@example.com",
                            created_at=draft.decided_at + timedelta(hours=5)))  # type: ignore[operator]
    with sessions() as session:
        figures = week_figures(session, week=WEEK)
    assert figures.total.replies == 1
    assert figures.total.median_first_reply_minutes == pytest.approx(60)


def test_figures_per_article_use_the_first_citation(sessions: sessionmaker[Session]) -> None:
    seed_week(sessions)
    with sessions() as session:
        figures = week_figures(session, week=WEEK)
    rows = {row.key: row for row in figures.articles}
    assert rows["returns"].sent_rewritten == 1 and rows["returns"].label == "Returns"
    assert rows[NO_ARTICLE].no_response == 1
    assert sum(r.decided for r in figures.articles) == figures.total.decided


def test_csv_has_the_same_figures_as_the_page(sessions: sessionmaker[Session]) -> None:
    seed_week(sessions)
    with sessions() as session:
        figures = week_figures(session, week=WEEK)
        quality = quality_report(session, week=WEEK, now=WEEK.end)
    lines = figures_csv(figures, quality).splitlines()
    assert lines[0].startswith("week,scope,name,decided,sent_unchanged")
    assert lines[1].startswith("2026-W48,total,All agents,10,5,1,1,1,1,1,3,0.3,")
    assert any(line.startswith("2026-W48,agent,ana@example.com,7,3,1,1,") for line in lines)


@pytest.mark.parametrize(("sent", "expected"), [
    (None, EditClass.UNCHANGED), (DRAFT + "  ", EditClass.UNCHANGED),
    (LIGHT, EditClass.LIGHT), (REWRITE, EditClass.REWRITTEN),
])
def test_edit_classes(sent: str | None, expected: EditClass) -> None:
    assert classify_edit(DRAFT, sent) is expected


@pytest.mark.parametrize("value", ["48", "2026-48", "2026-W54", "2026-W00", "x" * 10])
def test_a_week_that_is_not_an_iso_week_is_refused(value: str) -> None:
    with pytest.raises(InvalidWeek) as refused:
        parse_week(value, now=MONDAY)
    assert refused.value.status == 422


def test_no_week_means_this_week() -> None:
    assert parse_week(None, now=MONDAY + timedelta(days=6, hours=23)).label == "2026-W48"
