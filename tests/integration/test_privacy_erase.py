"""Erasure on request (issue 16): one buyer's every copy at once — rows, mail files, the
order — with an audit entry free of PII; a second run finds nothing left. The export shows
the same data first. SQLite and PostgreSQL; the raw-file grep on SQLite."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.conversations.models import Message
from bot.conversations.photos import BuyerPhoto
from bot.conversations.reply_notice import ReplyNotice
from bot.mail.models import InboundMail, MailThread, OutboundMail
from bot.orders.models import Order
from bot.privacy.errors import UnknownBuyerReference
from bot.privacy.models import PrivacyErasure
from bot.privacy.service import PrivacyDesk
from bot.privacy.wiring import build_privacy_desk
from bot.worker import DraftingWorker
from knowledge_base.clock import utcnow
from tests.mail.conftest import fixture_bytes

RELAY = "p0q9r8s7t6@marketplace.amazon.com"  # the buyer of 03_multipart_with_image.eml
ORDER_ID = "114-9988776-6554433"
PII = ("James Carter", "p0q9r8s7t6", ORDER_ID, "arrived dented")


@pytest.fixture
def desk(workflow_services: Any) -> PrivacyDesk:
    return build_privacy_desk(
        workflow_services.settings,
        session_factory=workflow_services.session_factory,
        resync_index=workflow_services.resync_index,
    )


def _mail_buyer(services: Any) -> str:
    """A relay mail with a photo, its order, and an approved reply in the outbox."""
    with services.session_factory() as session, session.begin():
        session.add(
            Order(
                order_id=ORDER_ID,
                purchase_date=date.today() - timedelta(days=5),
                status="Shipped",
                buyer_name="James Carter",
                source="test",
                content_hash="x",
            )
        )
    services.workflow  # noqa: B018 - builds the mail channel with the workflow
    stored = services.mail_channel.store(fixture_bytes("03_multipart_with_image.eml"), "test")
    DraftingWorker(workflow=services.workflow).run_until_idle()
    (draft,) = services.workflow.list_drafts()
    services.workflow.approve(draft_id=draft.id, actor="agent@example.com")
    return str(stored.conversation_id)


def _stored_files(services: Any) -> list[Path]:
    return [p for p in (Path(services.settings.data_dir) / "mail").rglob("*") if p.is_file()]


def test_erase_by_relay_address_removes_every_copy_once(
    workflow_services: Any, desk: PrivacyDesk, db_backend: str
) -> None:
    conversation_id = _mail_buyer(workflow_services)
    assert len(_stored_files(workflow_services)) == 2  # the raw mail and the photo
    exported = desk.export(RELAY)
    assert exported["conversations"][0]["id"] == conversation_id
    assert exported["conversations"][0]["mail"]["relay_address"] == RELAY
    assert exported["orders"][0]["buyer_name"] == "James Carter"
    assert "arrived dented" in json.dumps(exported)

    report = desk.erase(RELAY.upper(), actor="admin@example.com")

    assert report.conversations == [conversation_id]
    assert report.removed["files"] == 2 and report.removed["orders"] == 1
    assert report.removed["mail_threads"] == report.removed["mail_inbound"] == 1
    assert report.removed["mail_outbox"] == 1 and report.removed["messages"] >= 2
    assert _stored_files(workflow_services) == []
    with workflow_services.session_factory() as session:
        thread = session.scalars(select(MailThread)).one()
        assert RELAY not in thread.relay_address and thread.order_key == ""
        mail = session.scalars(select(InboundMail)).one()
        assert (mail.from_address, mail.raw_path, mail.attachments) == (None, "", [])
        assert session.scalars(select(OutboundMail.body)).one() == ""
        assert session.get(Order, ORDER_ID) is None
        audit = list(session.scalars(select(PrivacyErasure)))
    assert {(a.reason, a.subject_kind, a.requested_by) for a in audit} == {
        ("erase", "relay_address", "admin@example.com")
    }
    assert not any(n in json.dumps(a.removed) + a.subject_sha256 for a in audit for n in PII)
    assert json.dumps(desk.export(conversation_id)).count("arrived dented") == 0
    if db_backend == "sqlite":
        raw = Path(workflow_services.settings.data_dir).parent.rglob("*")
        leaks = [
            (p.name, n) for p in raw if p.is_file() for n in PII if n.encode() in p.read_bytes()
        ]
        assert leaks == []

    again = desk.erase(RELAY, actor="admin@example.com")
    assert again.nothing_left and again.as_json()["removed"] == {}
    by_id = desk.erase(conversation_id, actor="admin@example.com")
    assert by_id.conversations == [conversation_id] and by_id.nothing_left


def test_erase_by_order_id_reaches_a_widget_conversation_that_named_it(
    workflow_services: Any, desk: PrivacyDesk
) -> None:
    workflow = workflow_services.workflow
    named = workflow.start_conversation(buyer_name="Ana Ruiz")
    workflow.receive_buyer_message(conversation_id=named.id, text=f"order {ORDER_ID} is late")
    other = workflow.start_conversation(buyer_name="Bo Chen")
    workflow.receive_buyer_message(conversation_id=other.id, text="do you ship to Norway?")

    report = desk.erase(ORDER_ID, actor="admin@example.com")

    assert report.conversations == [named.id]
    exported = desk.export(other.id)["conversations"][0]
    assert exported["buyer_name"] == "Bo Chen"  # another buyer is left alone
    assert desk.export(named.id)["conversations"][0]["buyer_name"] is None


def test_chat_photos_and_reply_notices_go_with_their_conversation(
    workflow_services: Any, desk: PrivacyDesk
) -> None:
    workflow = workflow_services.workflow
    conversation = workflow.start_conversation(buyer_name="Ana Ruiz")
    workflow.receive_buyer_message(conversation_id=conversation.id, text="[photo: ana.jpg]")
    photo = Path(workflow_services.settings.data_dir) / "buyer-photos" / "ab" / "abc-ana.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo")
    with workflow_services.session_factory() as session, session.begin():
        message_id = session.scalars(select(Message.id).where(Message.role == "buyer")).one()
        session.add(
            BuyerPhoto(
                conversation_id=conversation.id,
                message_id=message_id,
                filename="ana-ruiz.jpg",
                content_type="image/jpeg",
                size=9,
                sha256="abc",
                path="ab/abc-ana.jpg",
            )
        )
        session.add(ReplyNotice(conversation_id=conversation.id, email="ana@example.com"))

    exported = desk.export(conversation.id)["conversations"][0]
    assert exported["reply_notice_email"] == "ana@example.com"
    assert [p["filename"] for p in exported["photos"]] == ["ana-ruiz.jpg"]

    report = desk.erase(conversation.id, actor="admin@example.com")

    assert report.removed["files"] == 1 and report.removed["reply_notices"] == 1
    assert not photo.exists()
    with workflow_services.session_factory() as session:
        stored = session.scalars(select(BuyerPhoto)).one()
        assert (stored.filename, stored.path) == ("", "")
        assert session.scalars(select(ReplyNotice)).all() == []


def test_mail_kept_aside_is_purged_after_the_period_like_conversations(
    workflow_services: Any,
) -> None:
    workflow_services.workflow  # noqa: B018 - builds the mail channel with the workflow
    stored = workflow_services.mail_channel.store(fixture_bytes("15_spoofed_sender.eml"), "test")
    assert stored.conversation_id is None and len(_stored_files(workflow_services)) == 1
    later = utcnow() + timedelta(days=31)
    desk = build_privacy_desk(
        workflow_services.settings,
        session_factory=workflow_services.session_factory,
        resync_index=None,
        clock=lambda: later,
    )

    report = desk.purge()

    assert report.removed["files"] == 1 and report.removed["mail_inbound"] == 1
    assert _stored_files(workflow_services) == []
    assert desk.purge().nothing_left


def test_a_reference_that_names_no_buyer_is_refused(desk: PrivacyDesk) -> None:
    with pytest.raises(UnknownBuyerReference):
        desk.erase("Maria", actor="admin@example.com")


def test_the_cli_erases_prints_counts_and_reports_nothing_left_the_second_time(
    workflow_services: Any, workflow_db_url: str
) -> None:
    _mail_buyer(workflow_services)
    env = {
        "DRAFTDESK_DATA_DIR": str(workflow_services.settings.data_dir),
        "DRAFTDESK_DATABASE_URL": workflow_db_url,
        "DRAFTDESK_ENVIRONMENT": "test",
    }
    runner = CliRunner()

    due = runner.invoke(app, ["privacy", "purge", "--dry-run", "--json"], env=env)
    first = runner.invoke(app, ["privacy", "erase", "--buyer", RELAY, "--json"], env=env)
    second = runner.invoke(app, ["privacy", "erase", "--buyer", RELAY], env=env)
    refused = runner.invoke(app, ["privacy", "erase", "--buyer", "nobody"], env=env)

    assert due.exit_code == 0, due.output
    assert json.loads(due.stdout)["conversations"] == []  # written today: not due
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["removed"]["files"] == 2
    assert second.exit_code == 0 and second.stdout.strip() == "nothing left to erase"
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.startswith("error: --buyer must be a conversation id")
