"""Product-quality signals (issue 18): defect types, SKU attribution, the spike alert."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Conversation, Message
from bot.conversations.order_bindings import OrderBinding
from bot.orders.models import Order, OrderItem
from bot.reports.defects import DefectType, classify_defect
from bot.reports.monitor import ALERT_ACTION, QualityAlertMonitor
from bot.reports.quality import (
    NO_ORDER,
    QualityAlert,
    complaint_spike,
    current_alerts,
    mask_buyer_words,
    quality_report,
)
from bot.reports.week import week_of
from knowledge_base.db import make_engine, make_session_factory
from knowledge_base.models import AuditLog

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


@pytest.fixture
def sessions(workflow_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(workflow_db_url)
    yield make_session_factory(engine)
    engine.dispose()


def add_order(session: Session, order_id: str, *skus: str) -> None:
    order = Order(order_id=order_id, purchase_date=date(2026, 11, 1), status="Shipped",
                  source="test", content_hash=uuid.uuid4().hex)
    order.items = [OrderItem(line_no=i, sku=sku, title=f"Item {sku}", quantity=1)
                   for i, sku in enumerate(skus, start=1)]
    session.add(order)


def buyer_writes(
    session: Session, text: str, *, at: datetime, bound_order: str | None = None,
    buyer_name: str | None = None,
) -> None:
    conversation = Conversation(id=uuid.uuid4().hex, token_hash=uuid.uuid4().hex,
                                channel="widget", state="awaiting_reply", created_at=at,
                                updated_at=at, buyer_name=buyer_name)
    session.add(conversation)
    session.flush()
    session.add(Message(conversation_id=conversation.id, role="buyer", text=text,
                        status="awaiting_draft", created_at=at))
    if bound_order:
        session.add(OrderBinding(conversation_id=conversation.id, order_id=bound_order,
                                 source="buyer", bound_by="buyer"))


def seed_cracked(
    sessions: sessionmaker[Session], *, skus: list[str], now: datetime = NOW
) -> None:
    """"Arrived cracked" messages in the hours before ``now``, message i about ``skus[i]``."""
    with sessions.begin() as session:
        for i, sku in enumerate(skus):
            order_id = f"111-{i:07d}-1234567"
            add_order(session, order_id, sku)
            buyer_writes(session, f"Hi, my vase arrived cracked. Order {order_id}",
                         at=now - timedelta(hours=i + 1))


def test_six_cracked_messages_about_one_sku_in_a_day_raise_its_alert(
    sessions: sessionmaker[Session]
) -> None:
    seed_cracked(sessions, skus=["VASE-BLUE"] * 6)
    with sessions() as session:
        alerts = current_alerts(session, now=NOW)
    assert [(a.sku, a.complaints, a.top_defect) for a in alerts] == [
        ("VASE-BLUE", 6, DefectType.DAMAGED_IN_TRANSIT)]


def test_the_same_six_spread_over_six_skus_raise_nothing(
    sessions: sessionmaker[Session]
) -> None:
    seed_cracked(sessions, skus=[f"SKU-{i}" for i in range(6)])
    with sessions() as session:
        assert current_alerts(session, now=NOW) == []
        report = quality_report(session, week=week_of(NOW.date()), now=NOW)
    assert sorted(row.sku for row in report.skus) == [f"SKU-{i}" for i in range(6)]
    assert all(row.total == 1 for row in report.skus)


def test_a_sku_that_always_gets_complaints_needs_a_real_jump(
    sessions: sessionmaker[Session]
) -> None:
    # Two complaints a day for four weeks: six today is 3x its baseline (fires), five is not.
    with sessions.begin() as session:
        add_order(session, "222-0000000-1234567", "MUG")
        for day in range(1, 29):
            for hour in (3, 9):
                buyer_writes(session, "The mug arrived chipped.",
                             at=NOW - timedelta(days=day, hours=hour),
                             bound_order="222-0000000-1234567")
        for hour in range(5):
            buyer_writes(session, "My mug arrived cracked", at=NOW - timedelta(hours=hour + 1),
                         bound_order="222-0000000-1234567")
    with sessions() as session:
        assert current_alerts(session, now=NOW) == []
    with sessions.begin() as session:
        buyer_writes(session, "Cracked mug again", at=NOW - timedelta(minutes=5),
                     bound_order="222-0000000-1234567")
    with sessions() as session:
        [alert] = current_alerts(session, now=NOW)
    assert (alert.sku, alert.complaints, alert.baseline_per_day) == ("MUG", 6, 2.0)


@pytest.mark.parametrize(("recent", "baseline", "fires"), [
    (6, 0.0, True), (4, 0.0, True), (3, 0.0, False), (1, 0.0, False),
    (6, 2.0, True), (5, 2.0, False), (20, 7.0, False), (21, 7.0, True),
])
def test_the_alert_rule(recent: int, baseline: float, fires: bool) -> None:
    assert complaint_spike(recent=recent, baseline_per_day=baseline) is fires


def test_complaints_without_a_known_order_never_alert(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        for hour in range(6):
            buyer_writes(session, "It arrived cracked!", at=NOW - timedelta(hours=hour + 1))
    with sessions() as session:
        assert current_alerts(session, now=NOW) == []
        report = quality_report(session, week=week_of(NOW.date()), now=NOW)
    assert [(row.sku, row.total) for row in report.skus] == [(NO_ORDER, 6)]


def test_examples_are_the_buyers_words_with_pii_masked(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_order(session, "333-0000000-1234567", "LAMP", "BULB")
        buyer_writes(session, "Maria here: the lamp from 333-0000000-1234567 arrived smashed. "
                     "Call me on +44 20 7946 0958 or maria@example.com", at=NOW,
                     buyer_name="Maria")
    with sessions() as session:
        report = quality_report(session, week=week_of(NOW.date()), now=NOW + timedelta(hours=1))
    rows = {row.sku: row for row in report.skus}
    # A multi-item order counts for each of its SKUs.
    assert set(rows) == {"LAMP", "BULB"}
    [quote] = rows["LAMP"].examples
    assert "arrived smashed" in quote
    for secret in ("Maria", "333-0000000-1234567", "7946", "maria@example.com"):
        assert secret not in quote
    assert report.trend[DefectType.DAMAGED_IN_TRANSIT][-1] == 1


@pytest.mark.parametrize(("text", "defect"), [
    ("My vase arrived cracked", DefectType.DAMAGED_IN_TRANSIT),
    ("Die Tasse ist zerbrochen angekommen", DefectType.DAMAGED_IN_TRANSIT),
    ("Le vase est arrivé cassé", DefectType.DAMAGED_IN_TRANSIT),
    ("花瓶が割れて届きました", DefectType.DAMAGED_IN_TRANSIT),
    ("The kettle stopped working after a week", DefectType.DEFECTIVE),
    ("La cafetera no funciona", DefectType.DEFECTIVE),
    ("You sent me the wrong colour", DefectType.WRONG_ITEM),
    ("Ho ricevuto un articolo sbagliato", DefectType.WRONG_ITEM),
    ("Es fehlen zwei Schrauben", DefectType.MISSING_PART),
    ("The lid is missing from the box", DefectType.MISSING_PART),
    ("It's much smaller than pictured", DefectType.NOT_AS_DESCRIBED),
    ("Where is my parcel?", None),
    ("Mir fehlt noch die Sendungsnummer", None),
    ("Thank you so much!", None),
])
def test_defect_types_in_several_languages(text: str, defect: DefectType | None) -> None:
    assert classify_defect(text) == defect


def test_mask_shortens_long_messages() -> None:
    assert len(mask_buyer_words("cracked " * 100, buyer_name=None)) <= 240


def test_the_monitor_announces_each_alert_once_per_day(sessions: sessionmaker[Session]) -> None:
    seed_cracked(sessions, skus=["VASE-BLUE"] * 6)
    announced: list[QualityAlert] = []
    monitor = QualityAlertMonitor(session_factory=sessions, clock=lambda: NOW)
    monitor.notifiers.append(announced.append)
    assert [a.sku for a in monitor.check()] == ["VASE-BLUE"]
    assert monitor.check() == []  # a restart or a second check: no second announcement
    assert [a.sku for a in announced] == ["VASE-BLUE"]
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(AuditLog)
                                .where(AuditLog.action == ALERT_ACTION))
    assert stored == 1
