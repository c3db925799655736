"""Documents (invoice, warranty, instructions; at most 5) attached to a reply by e-mail when
approving it in the console, sent by the real aiosmtpd server of these tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import inspect, select

from bot.mail.models import OutboundMail
from bot.services import build_services
from bot.web.app import create_app
from bot.worker import DraftingWorker
from tests.factories import add_user
from tests.fakes import FakeEmbedder, InMemoryIndex
from tests.mail.conftest import SELLER_FROM, fixture_bytes
from tests.mail.servers import Dovecot, SmtpServer
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in

RELAY = "s1g2n3a4t5@marketplace.amazon.com"
INVOICE = b"%PDF-1.4\n" + os.urandom(3000) + b"\n%%EOF\n"
WARRANTY = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)


@pytest.fixture
def services(
    workflow_settings: Any, fake_drafter: Any, dovecot: Dovecot, smtp_server: SmtpServer
) -> Iterator[Any]:
    settings = workflow_settings.model_copy(
        update={
            "mail_smtp_url": SecretStr(smtp_server.url),
            "mail_from": SELLER_FROM,
            "mail_in_process": False,
        }
    )
    services = build_services(
        settings,
        embedder=FakeEmbedder(),
        index=InMemoryIndex(),
        drafter=fake_drafter,
        migrate=False,
    )
    services.workflow  # noqa: B018 - builds the mail channel
    add_user(
        services.session_factory, email="agent@example.com", role="agent", password=TEST_PASSWORD
    )
    yield services
    services.close()


@pytest.fixture
def documents(services: Any) -> Path:
    folder = Path(services.settings.data_dir) / "mail" / "outbound_documents"
    folder.mkdir(parents=True)
    (folder / "invoice-112-2233445.pdf").write_bytes(INVOICE)
    (folder / "warranty-kettle.png").write_bytes(WARRANTY)
    for n in range(1, 5):
        (folder / f"instructions-{n}.pdf").write_bytes(b"%PDF-1.4\n" + bytes([n]) * 100)
    (folder / "photo-of-the-shop.pdf").write_bytes(b"%PDF-1.4\nnot an allowed kind")
    # Beside the folder, not in it: a valid PDF that only a path could reach.
    (folder.parent / "x.pdf").write_bytes(b"%PDF-1.4\nsecret")
    (folder.parent / "invoice-outside.pdf").write_bytes(b"%PDF-1.4\nsecret")
    return folder


@pytest.fixture
def console(services: Any) -> Iterator[TestClient]:
    with TestClient(
        create_app(services.settings, services=services), follow_redirects=False
    ) as client:
        sign_in(client, "agent@example.com")
        yield client


def _mail_draft(services: Any) -> int:
    services.mail_channel.store(fixture_bytes("09_signature.eml"), "test")
    DraftingWorker(workflow=services.workflow).run_until_idle()
    (draft,) = services.workflow.list_drafts()
    return int(draft.id)


def _approve(console: TestClient, draft_id: int, documents: list[str]) -> Any:
    token = csrf_token_in(console.get(f"/console/drafts/{draft_id}").text)
    return console.post(
        f"/console/drafts/{draft_id}/approve",
        data={"csrf_token": token, "view": "pending", "documents": documents},
    )


def _outbox(services: Any) -> list[OutboundMail]:
    with services.session_factory() as session:
        return list(session.execute(select(OutboundMail)).scalars())


def test_two_documents_go_out_with_the_reply_byte_for_byte(
    services: Any, documents: Path, console: TestClient, smtp_server: SmtpServer
) -> None:
    draft_id = _mail_draft(services)
    page = console.get(f"/console/drafts/{draft_id}").text
    assert 'value="invoice-112-2233445.pdf"' in page and 'value="warranty-kettle.png"' in page
    assert "photo-of-the-shop.pdf" not in page  # not an allowed kind: never offered

    approved = _approve(console, draft_id, ["invoice-112-2233445.pdf", "warranty-kettle.png"])
    assert approved.status_code == 303, approved.text
    assert services.mail_channel.sender.send_due() == 1

    (reply,) = smtp_server.to(RELAY)
    mail = reply.message
    assert mail.get_content_type() == "multipart/mixed"
    text, invoice, warranty = mail.iter_parts()
    detail = services.workflow.get_draft(draft_id=draft_id)
    assert text.get_content_type() == "text/plain"
    assert text.get_content().replace("\r\n", "\n").strip() == detail.final_text
    assert (invoice.get_content_type(), invoice.get_filename()) == (
        "application/pdf",
        "invoice-112-2233445.pdf",
    )
    assert (warranty.get_content_type(), warranty.get_filename()) == (
        "image/png",
        "warranty-kettle.png",
    )
    assert invoice.get_content() == INVOICE and warranty.get_content() == WARRANTY
    # Exactly once: one message, its Bcc copy to the seller in the same delivery.
    assert len(smtp_server.received) == 1 and SELLER_FROM in reply.rcpt_tos
    (row,) = _outbox(services)
    assert row.status == "sent" and mail["Message-ID"] == row.message_id
    assert services.mail_channel.sender.send_due() == 0


def test_a_document_changed_after_approval_is_not_sent(
    services: Any, documents: Path, console: TestClient, smtp_server: SmtpServer
) -> None:
    draft_id = _mail_draft(services)
    assert _approve(console, draft_id, ["invoice-112-2233445.pdf"]).status_code == 303
    (documents / "invoice-112-2233445.pdf").write_bytes(b"%PDF-1.4\nanother invoice")
    assert services.mail_channel.sender.send_due() == 0
    assert smtp_server.received == []
    (row,) = _outbox(services)
    assert row.status == "failed" and "changed after" in (row.last_error or "")


@pytest.mark.parametrize(
    ("chosen", "says"),
    [
        (
            ["invoice-112-2233445.pdf", "warranty-kettle.png"]
            + [f"instructions-{n}.pdf" for n in range(1, 5)],
            "at most 5 documents",
        ),
        (["../x.pdf"], "not a document of the documents folder"),
        (["../invoice-outside.pdf"], "documents folder"),
        (["invoice-unknown.pdf"], "no document"),
        (["photo-of-the-shop.pdf"], "not an allowed document"),
    ],
    ids=["six", "path-outside", "allowed-name-outside", "unknown", "not-allowed-kind"],
)
def test_refused_documents_approve_and_send_nothing(
    services: Any,
    documents: Path,
    console: TestClient,
    smtp_server: SmtpServer,
    chosen: list[str],
    says: str,
) -> None:
    draft_id = _mail_draft(services)
    refused = _approve(console, draft_id, chosen)
    assert refused.status_code == 422 and says in refused.text
    assert services.workflow.get_draft(draft_id=draft_id).status == "pending_review"
    assert _outbox(services) == []
    assert services.mail_channel.sender.send_due() == 0 and smtp_server.received == []


def test_documents_on_a_conversation_not_by_mail_are_refused(
    services: Any, documents: Path, console: TestClient
) -> None:
    workflow = services.workflow
    conversation = workflow.start_conversation(buyer_name="Maria")
    workflow.receive_buyer_message(conversation_id=conversation.id, text="Where is my parcel?")
    DraftingWorker(workflow=workflow).run_until_idle()
    (draft,) = workflow.list_drafts()
    assert 'name="documents"' not in console.get(f"/console/drafts/{draft.id}").text
    refused = _approve(console, draft.id, ["invoice-112-2233445.pdf"])
    assert refused.status_code == 422 and "only be attached to a reply by e-mail" in refused.text
    assert workflow.get_draft(draft_id=draft.id).status == "pending_review"


def test_migration_0014_adds_and_removes_the_column(tmp_path: Path) -> None:
    from alembic import command

    from bot.database import alembic_config
    from knowledge_base.db import make_engine

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    def columns() -> set[str]:
        engine = make_engine(url)
        try:
            return {c["name"] for c in inspect(engine).get_columns("mail_outbox")}
        finally:
            engine.dispose()

    command.upgrade(alembic_config(url), "0014")
    assert "attachments" in columns()
    command.downgrade(alembic_config(url), "0013")
    assert "attachments" not in columns() and "body" in columns()
