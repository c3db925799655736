"""Storing mails with the inbox's rules (the same for the poller and ``mail import``), on
SQLite and PostgreSQL, with the fake drafter (drafting is tested elsewhere)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.conversations.models import Conversation, Message
from bot.mail import repository as mail_repo
from bot.mail.models import InboundMail, MailThread
from tests.mail.conftest import FIXTURES, fixture_bytes

EXPECTED_KINDS = {
    "01_plain_where_is_my_order.eml": "buyer",
    "02_html_only.eml": "buyer",
    "03_multipart_with_image.eml": "buyer",
    "04_forwarded_carrier_mail.eml": "buyer",
    "05_german_quoted_printable.eml": "buyer",
    "06_japanese_base64.eml": "buyer",
    "07_french_reply_in_thread.eml": "buyer",
    "08_reply_in_thread_same_order.eml": "buyer",
    "09_signature.eml": "buyer",
    "10_pdf_attachment.eml": "buyer",
    "11_spanish_no_order.eml": "buyer",
    "12_italian_cancel.eml": "buyer",
    "13_canada_windows1252.eml": "buyer",
    "14_malformed_mime.eml": "unparseable",
    "15_spoofed_sender.eml": "not_from_amazon",
    "16_spoofed_lookalike_domain.eml": "not_from_amazon",
    "17_spoofed_forged_auth_header.eml": "not_from_amazon",
    "18_ordinary_mail.eml": "not_from_amazon",
    "19_no_message_id.eml": "buyer",
    "20_seller_forward_not_relay.eml": "not_from_amazon",
}


def _channel(workflow_services: Any) -> Any:
    workflow_services.workflow  # noqa: B018 - builds the mail channel with the workflow
    return workflow_services.mail_channel


def test_every_fixture_is_stored_once_as_its_kind_and_only_relay_mail_is_drafted(
    workflow_services: Any, drain_queue: Any, fake_drafter: Any
) -> None:
    channel = _channel(workflow_services)
    paths = sorted(FIXTURES.glob("*.eml"))
    assert len(paths) >= 15

    first = {path.name: stored.kind for path, stored in channel.import_files(paths)}
    again = {path.name: stored.kind for path, stored in channel.import_files(paths)}

    assert first == EXPECTED_KINDS
    assert set(again.values()) == {"duplicate"}
    drained = drain_queue()
    with workflow_services.session_factory() as session:
        conversations = session.execute(select(Conversation)).scalars().all()
        kinds = dict(session.execute(
            select(InboundMail.kind, func.count()).group_by(InboundMail.kind)).all())
    # 01 and 08 are the same relay address and order: one conversation.
    assert len(conversations) == drained == 13
    assert {c.channel for c in conversations} == {"mail"}
    assert kinds == {"buyer": 14, "not_from_amazon": 5, "unparseable": 1}
    drafted = " ".join(" ".join(r.buyer_messages) for r in fake_drafter.requests)
    assert "refunds@evil.example" not in drafted and "password" not in drafted
    assert "mailer boxes" not in drafted


def test_one_conversation_per_relay_address_and_order_with_the_mail_date_as_clock(
    workflow_services: Any, drain_queue: Any
) -> None:
    channel = _channel(workflow_services)
    first = channel.store(fixture_bytes("01_plain_where_is_my_order.eml"), "test")
    follow_up = channel.store(fixture_bytes("08_reply_in_thread_same_order.eml"), "test")
    drain_queue()

    assert first.conversation_id == follow_up.conversation_id
    workflow = workflow_services.workflow
    (draft,) = workflow.list_drafts()
    detail = workflow.get_draft(draft_id=draft.id)
    buyer = [m for m in detail.thread if m.role == "buyer"]
    assert [m.text.splitlines()[0] for m in buyer] == [
        "Hi, where is my order 112-2233445-5566778? It was supposed to arrive on Friday.",
        "Also, can I change the delivery address to my office?",
    ]
    assert not [m for m in detail.thread if m.role == "system"], "no widget acknowledgement"
    # The 24-hour clock runs from the first mail's Date header (09:14:03 UTC).
    assert draft.due_at.isoformat().startswith("2026-12-01T09:14:03")
    with workflow_services.session_factory() as session:
        thread = session.execute(select(MailThread)).scalar_one()
    assert (thread.relay_address, thread.order_key, thread.marketplace, thread.asin) == (
        "r3kz8m0yq2cz9wd@marketplace.amazon.com", "112-2233445-5566778", "amazon.com",
        "B07MUGSET4")
    assert detail.buyer_name == "Maria Lopez"


def test_the_order_in_the_subject_and_attachments_reach_the_message_and_the_disk(
    workflow_services: Any, workflow_settings: Any
) -> None:
    channel = _channel(workflow_services)
    html = channel.store(fixture_bytes("02_html_only.eml"), "test")
    image = channel.store(fixture_bytes("03_multipart_with_image.eml"), "test")

    with workflow_services.session_factory() as session:
        texts = {m.conversation_id: m.text for m in session.execute(select(Message)).scalars()}
        record = mail_repo.find_inbound(session, message_id=image.message_id)
    assert texts[html.conversation_id].startswith("Hello,\n\nThe lamp arrived")
    assert "[The buyer attached: IMG_2041.jpg (image/jpeg)]" in texts[image.conversation_id]
    assert record is not None and len(record.attachments) == 1
    stored = Path(workflow_settings.data_dir) / "mail" / record.attachments[0]["path"]
    raw = Path(workflow_settings.data_dir) / "mail" / record.raw_path
    # On disk as encrypted tokens (buyer files are PII at rest); read back as they came.
    assert not stored.read_bytes().startswith(b"\xff\xd8")
    assert raw.read_bytes() != fixture_bytes("03_multipart_with_image.eml")
    files = channel.inbox.files
    assert (files.read(record.attachments[0]["path"]) or b"").startswith(b"\xff\xd8")
    assert files.read(record.raw_path) == fixture_bytes("03_multipart_with_image.eml")


def test_a_large_attachment_is_stored_and_the_message_still_arrives(
    workflow_services: Any, workflow_settings: Any, tmp_path: Path
) -> None:
    from email import message_from_bytes, policy

    mail = message_from_bytes(fixture_bytes("10_pdf_attachment.eml"), policy=policy.default)
    del mail["Message-ID"]
    mail["Message-ID"] = "<large-attachment-30mb@email.amazonses.com>"
    big = bytes(range(256)) * (30 * 1024 * 1024 // 256)  # 30 MB, made here, not committed
    mail.add_attachment(big, maintype="application", subtype="octet-stream",  # type: ignore[attr-defined]
                        filename="manual-scan.tiff")
    stored = _channel(workflow_services).store(mail.as_bytes(), "test")

    assert stored.kind == "buyer"
    with workflow_services.session_factory() as session:
        record = mail_repo.find_inbound(session, message_id=stored.message_id)
    assert record is not None
    sizes = sorted(a["size"] for a in record.attachments)
    assert sizes[-1] == len(big)
    channel = workflow_services.mail_channel
    assert channel.inbox.files.read(record.attachments[-1]["path"]) == big


def test_unparseable_and_not_from_amazon_mail_is_kept_and_listed(
    workflow_services: Any, workflow_settings: Any
) -> None:
    channel = _channel(workflow_services)
    channel.store(fixture_bytes("14_malformed_mime.eml"), "test")
    channel.store(fixture_bytes("15_spoofed_sender.eml"), "test")

    with workflow_services.session_factory() as session:
        broken = mail_repo.list_inbound(session, kinds=["unparseable"])
        spoofed = mail_repo.list_inbound(session, kinds=["not_from_amazon"])
        assert session.execute(select(func.count()).select_from(Conversation)).scalar() == 0
    assert [m.message_id for m in broken] == ["<broken-mime-0001@mx.brightwater.example>"]
    assert channel.inbox.files.read(broken[0].raw_path) == fixture_bytes("14_malformed_mime.eml")
    assert spoofed[0].reason and "spf failed" in spoofed[0].reason


def test_a_mail_dated_in_the_future_starts_the_clock_now(workflow_services: Any) -> None:
    from email import message_from_bytes, policy

    mail = message_from_bytes(fixture_bytes("09_signature.eml"), policy=policy.default)
    del mail["Date"]
    mail["Date"] = "Thu, 31 Dec 2099 23:00:00 +0000"
    stored = _channel(workflow_services).store(mail.as_bytes(), "test")

    with workflow_services.session_factory() as session:
        (message,) = session.execute(select(Message).where(
            Message.conversation_id == stored.conversation_id)).scalars()
        conversation = session.get(Conversation, stored.conversation_id)
        assert conversation is not None
    assert message.created_at - conversation.created_at < timedelta(minutes=1)
