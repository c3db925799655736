"""The Amazon inbox in the console (issue 14), through the real app on SQLite and PostgreSQL:
a reply the SMTP server refused shows on its draft with "Retry sending"; buyers' files and
the mails kept aside are listed and downloaded by signed-in agents only; a mailbox that is
down shows in the queue. The SMTP server is a real one on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from bot.conversations.models import ReviewEvent
from bot.mail.models import InboundMail, OutboundMail
from bot.services import Services, build_services
from tests.conftest import REPO_ROOT
from tests.factories import add_user
from tests.fakes import FakeEmbedder, InMemoryIndex
from tests.mail.servers import SmtpServer, free_port
from tests.workflow_support import TEST_PASSWORD, csrf_token_in, sign_in

MAIL = Path(__file__).resolve().parents[1] / "mail" / "fixtures"
SELLER_FROM = "orders@brightwater.example"
RELAY = "s1g2n3a4t5@marketplace.amazon.com"  # the buyer of 09_signature.eml
REFUSAL = "550 5.7.1 Sender address rejected: not an approved sender"
IMAP_PASSWORD = "imap-secret-do-not-show"


def mail(name: str) -> bytes:
    return (MAIL / name).read_bytes()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def workflow_services(
    workflow_settings: Any, fake_drafter: Any, smtp: SmtpServer
) -> Iterator[Services]:
    """Services with the mail channel: the real SMTP server, and a mailbox nobody serves
    (the poller runs only where a test starts it; the test drives the sender itself)."""
    settings = workflow_settings.model_copy(
        update={
            "mail_smtp_url": SecretStr(smtp.url),
            "mail_from": SELLER_FROM,
            "mail_imap_url": SecretStr(
                f"imap://seller%40brightwater.example:{IMAP_PASSWORD}@127.0.0.1:{free_port()}/INBOX"
            ),
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
    yield services
    services.close()


@pytest.fixture
def console(pages: TestClient, services: Services) -> TestClient:
    add_user(
        services.session_factory, email="agent@example.com", role="agent", password=TEST_PASSWORD
    )
    return pages


def _signed_in(console: TestClient) -> str:
    """Sign the agent in; returns the session's CSRF token."""
    assert sign_in(console, "agent@example.com").status_code == 303
    return csrf_token_in(console.get("/console").text)


def _refused_reply(services: Services, smtp: SmtpServer, drain_queue: Any) -> tuple[int, int]:
    """A relay mail drafted, approved, and its reply refused for good: (draft, outbox id)."""
    channel = services.mail_channel
    assert channel is not None and channel.sender is not None
    channel.store(mail("09_signature.eml"), "test")
    assert drain_queue() == 1
    (draft,) = services.workflow.list_drafts()
    services.workflow.approve(draft_id=draft.id, actor="agent@example.com")
    smtp.answer_data = REFUSAL
    assert channel.sender.send_due() == 0
    with services.session_factory() as session:
        row = session.execute(select(OutboundMail)).scalar_one()
    assert row.status == "failed"
    return draft.id, row.id


def test_a_refused_reply_shows_on_its_draft_and_retry_sending_queues_it_once(
    console: TestClient, services: Services, smtp: SmtpServer, drain_queue: Any
) -> None:
    draft_id, outbox_id = _refused_reply(services, smtp, drain_queue)
    token = _signed_in(console)
    retry_url = f"/console/mail/outbox/{outbox_id}/retry"

    # Listed with what needs a person, and shown on the draft with the server's answer.
    queue = console.get("/console?view=attention").text
    assert "1 reply not delivered by e-mail" in queue
    assert f'data-outbox-id="{outbox_id}"' in queue and REFUSAL[:40] in queue
    assert re.search(r'data-count="attention">1<', queue)
    page = console.get(f"/console/drafts/{draft_id}?view=attention").text
    assert "Not delivered:" in page and REFUSAL in page
    assert f'action="{retry_url}"' in page and "Retry sending" in page

    # A form without the session's CSRF token changes nothing.
    assert console.post(retry_url, data={"view": "attention"}).status_code == 403
    smtp.answer_data = None  # the seller fixed the sender address
    first = console.post(retry_url, data={"csrf_token": token, "view": "attention"})
    again = console.post(retry_url, data={"csrf_token": token, "view": "attention"})

    assert first.status_code == 303
    assert first.headers["location"] == (
        f"/console/drafts/{draft_id}?view=attention&done=retry_queued"
    )
    assert again.status_code == 303 and again.headers["location"].endswith("done=retry_waiting")
    shown = console.get(first.headers["location"]).text
    assert "Queued to send again" in shown and "Waiting to be sent by e-mail" in shown
    assert "Retry sending" not in shown
    with services.session_factory() as session:
        row = session.execute(select(OutboundMail)).scalar_one()
        retries = (
            session.execute(select(ReviewEvent).where(ReviewEvent.action == "delivery_retried"))
            .scalars()
            .all()
        )
    assert row.status == "pending" and row.attempts == 0
    assert [(e.actor, e.draft_id) for e in retries] == [("agent@example.com", draft_id)]
    assert services.workflow.get_draft(draft_id=draft_id).needs_person_reason is None

    channel = services.mail_channel
    assert channel is not None and channel.sender is not None
    assert channel.sender.send_due() == 1
    refused, delivered = smtp.to(RELAY)
    assert refused.message["Message-ID"] == delivered.message["Message-ID"]
    assert channel.sender.send_due() == 0 and len(smtp.to(RELAY)) == 2

    # Delivered: nothing left to retry (409), the draft says so, the queue is empty.
    late = console.post(retry_url, data={"csrf_token": token, "view": "attention"})
    assert late.status_code == 409 and "nothing to send again" in late.text
    page = console.get(f"/console/drafts/{draft_id}").text
    assert "Delivered by e-mail" in page and "Retry sending" not in page
    assert "not delivered by e-mail" not in console.get("/console?view=attention").text
    missing = console.post("/console/mail/outbox/99999/retry", data={"csrf_token": token})
    assert missing.status_code == 404


def test_retry_sending_needs_a_signed_in_agent(
    pages: TestClient, services: Services, smtp: SmtpServer, drain_queue: Any
) -> None:
    _, outbox_id = _refused_reply(services, smtp, drain_queue)
    answer = pages.post(f"/console/mail/outbox/{outbox_id}/retry", data={"csrf_token": "x"})
    assert answer.status_code == 403
    with services.session_factory() as session:
        assert session.execute(select(OutboundMail.status)).scalar_one() == "failed"


def test_buyers_files_are_listed_and_downloaded_as_attachments_by_agents_only(
    console: TestClient, services: Services, drain_queue: Any
) -> None:
    channel = services.mail_channel
    assert channel is not None
    image = channel.store(mail("03_multipart_with_image.eml"), "test")
    pdf = channel.store(mail("10_pdf_attachment.eml"), "test")
    drain_queue()
    with services.session_factory() as session:
        mails = {m.conversation_id: m for m in session.execute(select(InboundMail)).scalars()}
    image_mail, pdf_mail = mails[image.conversation_id], mails[pdf.conversation_id]
    image_url = f"/console/mail/{image_mail.id}/attachments/0"
    pdf_url = f"/console/mail/{pdf_mail.id}/attachments/0"

    assert console.get(image_url).headers["location"] == f"/login?next={quote(image_url)}"
    _signed_in(console)
    (draft,) = [
        d for d in services.workflow.list_drafts() if d.conversation_id == image.conversation_id
    ]
    page = console.get(f"/console/drafts/{draft.id}").text
    assert f'href="{image_url}"' in page
    assert "IMG_2041.jpg" in page and "image/jpeg · 91 bytes" in page

    got = console.get(image_url)
    path = image_mail.attachments[0]["path"]
    stored = channel.files.read(path)
    assert stored is not None and stored.startswith(b"\xff\xd8")
    assert got.status_code == 200 and got.content == stored
    assert channel.files.path_of(path).read_bytes() != stored  # encrypted at rest
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-disposition"] == 'attachment; filename="IMG_2041.jpg"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert console.get(pdf_url).headers["content-type"] == "application/pdf"

    # Another path, a traversal, a missing file: 404.
    for url in (
        f"/console/mail/{image_mail.id}/attachments/1",
        f"/console/mail/{image_mail.id}/attachments/..%2F..%2F..%2Fetc%2Fpasswd",
        f"/console/mail/{image_mail.id}/attachments/%2e%2e%2f%2e%2e%2fraw",
        f"/console/mail/{image_mail.id}/attachments/IMG_2041.jpg",
        f"/console/mail/{image_mail.id}/attachments/-1",
        "/console/mail/99999/attachments/0",
    ):
        assert console.get(url).status_code == 404, url
    # A recorded path that leaves the files' directory, or a type the bytes do not bear
    # out (HTML dressed as an image), is never served as such.
    with services.session_factory() as session, session.begin():
        row = session.get(InboundMail, image_mail.id)
        assert row is not None
        row.attachments = [
            {**row.attachments[0], "content_type": "text/html"},
            {**row.attachments[0], "content_type": "image/png"},
            {**row.attachments[0], "path": "../../../../../../etc/passwd"},
        ]
    assert console.get(image_url).headers["content-type"] == "application/octet-stream"
    assert console.get(image_url[:-1] + "1").headers["content-type"] == ("application/octet-stream")
    assert console.get(image_url[:-1] + "2").status_code == 404


def test_mails_kept_aside_are_listed_with_why_and_their_raw_mail(
    console: TestClient, services: Services
) -> None:
    channel = services.mail_channel
    assert channel is not None
    for name in (
        "01_plain_where_is_my_order.eml",
        "14_malformed_mime.eml",
        "15_spoofed_sender.eml",
        "18_ordinary_mail.eml",
    ):
        channel.store(mail(name), "test")
    assert console.get("/console/mail").status_code == 303  # signed out: to the login
    _signed_in(console)

    assert 'href="/console/mail"' in console.get("/console").text  # in the navigation
    page = console.get("/console/mail")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-mail-id="(\d+)" data-kind="(\w+)"', page.text)
    assert sorted(kind for _, kind in rows) == ["not_from_amazon", "not_from_amazon", "unparseable"]
    for shown in (
        "sales@packaging-supplier.example",
        "Your packaging order ships tomorrow",
        "claims to be from marketplace.amazon.com but spf failed",
        "the mail has no readable sender address",
        "30 Nov 08:45 UTC",
    ):
        assert shown in page.text
    assert '<a href="/console/mail" aria-current="page">' in page.text
    unreadable = console.get("/console/mail?kind=unparseable").text
    assert len(re.findall(r"<tr data-mail-id=", unreadable)) == 1

    spoofed = next(mail_id for mail_id, kind in rows if kind == "not_from_amazon")
    raw = console.get(f"/console/mail/{spoofed}/raw")
    assert raw.status_code == 200 and raw.headers["content-type"] == "message/rfc822"
    assert raw.headers["content-disposition"] == f'attachment; filename="mail-{spoofed}.eml"'
    assert raw.content in (mail("15_spoofed_sender.eml"), mail("18_ordinary_mail.eml"))
    assert console.get("/console/mail/99999/raw").status_code == 404


def test_a_mailbox_that_is_down_shows_in_the_console_queue_as_on_healthz(
    console: TestClient, services: Services
) -> None:
    _signed_in(console)
    assert "Mailbox down" not in console.get("/console").text
    channel = services.mail_channel
    assert channel is not None and channel.poller is not None
    channel.poller.retry_base_seconds = 30.0
    channel.poller.start()  # nothing listens on its port
    try:
        deadline = time.monotonic() + 15
        while channel.poller.status.state != "down" and time.monotonic() < deadline:
            time.sleep(0.05)
        health = console.get("/healthz").json()["mail"]["mailbox"]
        page = console.get("/console").text
        fragment = console.get("/console/queue?view=pending").text  # the live refresh
    finally:
        channel.poller.stop()

    assert health["state"] == "down"
    for html in (page, fragment):
        assert "Mailbox down:" in html and health["last_error"] in html
        assert IMAP_PASSWORD not in html
    assert "Mailbox down:" in console.get("/console/mail").text


def test_a_refused_reply_written_in_the_console_is_retried_from_its_conversation(
    console: TestClient, services: Services, smtp: SmtpServer, drain_queue: Any
) -> None:
    channel = services.mail_channel
    assert channel is not None and channel.sender is not None
    stored = channel.store(mail("09_signature.eml"), "test")
    drain_queue()
    (draft,) = services.workflow.list_drafts()
    services.workflow.reject(draft_id=draft.id, actor="agent@example.com", reason="wrong tone")
    token = _signed_in(console)
    conversation = f"/console/conversations/{stored.conversation_id}"
    written = console.post(
        f"{conversation}/reply",
        data={"csrf_token": token, "text": "Hi Tom, yes: you can return the rug within 30 days."},
    )
    assert written.status_code == 303
    smtp.answer_data = REFUSAL
    assert channel.sender.send_due() == 0

    queue = console.get("/console?view=attention").text
    assert f'href="{conversation}"' in queue and "1 reply not delivered" in queue
    page = console.get(conversation).text
    assert "Not delivered:" in page and REFUSAL in page
    with services.session_factory() as session:
        outbox_id = session.execute(select(OutboundMail.id)).scalar_one()
    smtp.answer_data = None
    retried = console.post(f"/console/mail/outbox/{outbox_id}/retry", data={"csrf_token": token})
    assert retried.status_code == 303
    assert retried.headers["location"] == f"{conversation}?done=retry_queued"
    assert channel.sender.send_due() == 1
    assert "Delivered by e-mail" in console.get(conversation).text


def test_the_clis_mail_retry_is_the_same_retry_the_console_shows(
    console: TestClient, services: Services, smtp: SmtpServer, drain_queue: Any
) -> None:
    draft_id, outbox_id = _refused_reply(services, smtp, drain_queue)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTDESK_")}
    env.update(
        {
            "DRAFTDESK_ENV_FILE": os.devnull,
            "DRAFTDESK_ENVIRONMENT": "test",
            "DRAFTDESK_DATA_DIR": str(services.settings.data_dir),
            "DRAFTDESK_DATABASE_URL": str(services.settings.database_url),
        }
    )
    retried = subprocess.run(
        [sys.executable, "-m", "bot", "mail", "retry", str(outbox_id)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == f"reply {outbox_id} queued again"
    with services.session_factory() as session:
        actors = (
            session.execute(
                select(ReviewEvent.actor).where(ReviewEvent.action == "delivery_retried")
            )
            .scalars()
            .all()
        )
    assert actors == ["cli"]
    assert services.workflow.get_draft(draft_id=draft_id).needs_person_reason is None
    token = _signed_in(console)
    page = console.get(f"/console/drafts/{draft_id}").text
    assert "Waiting to be sent by e-mail" in page and "Retry sending" not in page
    again = console.post(f"/console/mail/outbox/{outbox_id}/retry", data={"csrf_token": token})
    assert again.headers["location"].endswith("done=retry_waiting")
