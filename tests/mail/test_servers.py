"""Against real servers: dovecot (IMAP) in, aiosmtpd (SMTP) out — with the fake drafter.

The acceptance run with the real drafting pipeline is in ``test_acceptance.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.conversations.errors import InvalidMessage
from bot.mail.models import OutboundMail
from bot.services import build_services
from tests.fakes import FakeEmbedder, InMemoryIndex
from tests.mail.conftest import SELLER_FROM, fixture_bytes
from tests.mail.servers import Dovecot, SmtpServer

RELAY = "r3kz8m0yq2cz9wd@marketplace.amazon.com"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def mail_services(
    workflow_settings: Any, fake_drafter: Any, dovecot: Dovecot, smtp_server: SmtpServer
) -> Iterator[Any]:
    settings = workflow_settings.model_copy(update={
        "mail_imap_url": SecretStr(dovecot.url), "mail_smtp_url": SecretStr(smtp_server.url),
        "mail_from": SELLER_FROM, "mail_poll_seconds": 1.0,
    })
    services = build_services(settings, embedder=FakeEmbedder(), index=InMemoryIndex(),
                              drafter=fake_drafter, migrate=False)
    services.workflow  # noqa: B018 - builds the mail channel
    yield services
    services.close()


def _approve_only_draft(services: Any, **kwargs: Any) -> Any:
    workflow = services.workflow
    (draft,) = workflow.list_drafts()
    return workflow.approve(draft_id=draft.id, actor="agent@example.com", **kwargs)


def test_polled_relay_mail_is_answered_by_exactly_one_threaded_plain_text_reply(
    mail_services: Any, dovecot: Dovecot, smtp_server: SmtpServer, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    dovecot.deliver(fixture_bytes("01_plain_where_is_my_order.eml"))
    assert channel.poller.poll_once() == 1
    assert drain_queue() == 1
    outcome = _approve_only_draft(mail_services)

    assert channel.sender.send_due() == 1
    (reply,) = smtp_server.to(RELAY)
    mail = reply.message
    assert reply.mail_from == SELLER_FROM
    assert mail["To"] == RELAY and mail["From"] == SELLER_FROM
    assert mail["Subject"] == (
        "Re: Inquiry from Amazon customer Maria Lopez (Order: 112-2233445-5566778)")
    assert mail["In-Reply-To"] == "<0100018c1a2b3c4d-aa11-plain@email.amazonses.com>"
    assert "<0100018c1a2b3c4d-aa11-plain@email.amazonses.com>" in mail["References"]
    assert not mail.is_multipart() and mail.get_content_type() == "text/plain"
    detail = mail_services.workflow.get_draft(draft_id=outcome.draft_id)
    assert mail.get_content().replace("\r\n", "\n").strip() == detail.final_text
    # The Bcc copy reached the seller's own mailbox; polling it proves delivery, stores
    # no buyer message; the same buyer mail delivered again is stored once.
    dovecot.deliver(fixture_bytes("01_plain_where_is_my_order.eml"))
    dovecot.deliver(fixture_bytes("15_spoofed_sender.eml"))
    assert channel.poller.poll_once() == 3
    assert drain_queue() == 0
    assert channel.sender.send_due() == 0
    assert len(smtp_server.to(RELAY)) == 1
    with mail_services.session_factory() as session:
        row = session.execute(select(OutboundMail)).scalar_one()
    assert row.status == "sent" and row.server_reply.startswith("250")
    assert row.copy_seen_at is not None
    assert channel.poller.status.as_json()["state"] == "not started"  # poll_once only
    assert channel.status()["outbox_waiting"] == 0


def test_the_idle_poller_and_sender_threads_work_on_their_own(
    mail_services: Any, dovecot: Dovecot, smtp_server: SmtpServer, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    channel.start()
    try:
        dovecot.deliver(fixture_bytes("05_german_quoted_printable.eml"))
        _wait_until(lambda: drain_queue() == 1, what="the mail drafted")
        assert channel.poller.status.idle is True
        assert channel.poller.status.state == "ok"
        _approve_only_draft(mail_services)
        _wait_until(lambda: len(smtp_server.to("d7e6f5g4h3@marketplace.amazon.de")) == 1,
                    what="the reply sent")
    finally:
        channel.stop()


def test_a_permanent_refusal_shows_on_the_draft_and_is_not_retried(
    mail_services: Any, smtp_server: SmtpServer, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    channel.store(fixture_bytes("09_signature.eml"), "test")
    drain_queue()
    outcome = _approve_only_draft(mail_services)
    smtp_server.answer_data = "550 5.7.1 Sender address rejected: not an approved sender"

    assert channel.sender.send_due() == 0
    assert channel.sender.send_due() == 0
    assert len(smtp_server.received) == 1
    detail = mail_services.workflow.get_draft(draft_id=outcome.draft_id)
    assert detail.needs_person_reason == "mail_not_delivered"
    assert "not an approved sender" in detail.thread[-1].text
    assert channel.status()["outbox_failed"] == 1


def test_a_server_that_is_down_is_retried_later(
    mail_services: Any, smtp_server: SmtpServer, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    channel.store(fixture_bytes("09_signature.eml"), "test")
    drain_queue()
    _approve_only_draft(mail_services)
    smtp_server.answer_data = "451 4.3.0 Try again later"
    channel.sender.sleep = lambda _seconds: None  # the in-process back-off, not the test's

    assert channel.sender.send_due() == 0
    with mail_services.session_factory() as session:
        row = session.execute(select(OutboundMail)).scalar_one()
        assert row.status == "pending" and row.next_attempt_at is not None
        assert row.last_error and "451" in row.last_error
        row.next_attempt_at = None  # the back-off has passed
        session.commit()
    smtp_server.answer_data = None
    assert channel.sender.send_due() == 1


def test_no_response_needed_sends_nothing_and_long_replies_are_refused(
    mail_services: Any, smtp_server: SmtpServer, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    workflow = mail_services.workflow
    channel.store(fixture_bytes("09_signature.eml"), "test")
    channel.store(fixture_bytes("12_italian_cancel.eml"), "test")
    drain_queue()
    first, second = workflow.list_drafts()
    workflow.no_response_needed(draft_id=first.id, actor="agent@example.com")
    with pytest.raises(InvalidMessage) as refused:
        workflow.approve(draft_id=second.id, actor="agent@example.com",
                         text="Ciao Giulia,\n\n" + "Grazie. " * 300)

    assert refused.value.code == "reply_too_long_for_marketplace"
    assert workflow.get_draft(draft_id=second.id).status == "pending_review"
    assert channel.sender.send_due() == 0
    assert smtp_server.received == []


def _cli_env(settings: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTDESK_")}
    env.update({
        "DRAFTDESK_ENV_FILE": os.devnull, "DRAFTDESK_DATA_DIR": str(settings.data_dir),
        "DRAFTDESK_DATABASE_URL": settings.database_url, "DRAFTDESK_ENVIRONMENT": "test",
        "DRAFTDESK_MAIL_FROM": SELLER_FROM, **extra,
    })
    return env


def test_killed_while_sending_and_restarted_the_buyer_gets_exactly_one_reply(
    mail_services: Any, smtp_server: SmtpServer, dovecot: Dovecot, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    channel.store(fixture_bytes("01_plain_where_is_my_order.eml"), "test")
    drain_queue()
    _approve_only_draft(mail_services)
    hold = smtp_server.hold_answer()
    env = _cli_env(mail_services.settings, DRAFTDESK_MAIL_SMTP_URL=smtp_server.url)
    sender = subprocess.Popen([sys.executable, "-m", "bot", "mail", "send"], env=env,
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert smtp_server.data_seen.wait(60), "the sender never reached the SMTP server"
        os.kill(sender.pid, signal.SIGKILL)  # after the data, before the answer is recorded
        sender.wait(10)
    finally:
        hold.set()
        if sender.poll() is None:
            sender.kill()
    with mail_services.session_factory() as session:
        assert session.execute(select(OutboundMail.status)).scalar_one() == "sending"

    # Restarted: once its lease is over, the row is in doubt; the copy in the mailbox
    # (polled like any mail) shows the server took it, so it is not sent again.
    assert channel.poller.poll_once() == 1  # the Bcc copy of the reply
    _expire_leases(mail_services)
    restarted = subprocess.run([sys.executable, "-m", "bot", "mail", "send", "--once"],
                               env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert restarted.returncode == 0, restarted.stderr

    assert len(smtp_server.to(RELAY)) == 1
    with mail_services.session_factory() as session:
        row = session.execute(select(OutboundMail)).scalar_one()
    assert row.status == "sent" and "copy in the mailbox" in (row.server_reply or "")


def test_mail_check_prints_one_line_per_server(
    mail_services: Any, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "bot", "mail", "check"], cwd=REPO, capture_output=True,
        text=True, timeout=120,
        env=_cli_env(mail_services.settings, DRAFTDESK_MAIL_IMAP_URL=dovecot.url,
                     DRAFTDESK_MAIL_SMTP_URL=smtp_server.url),
    )
    wrong = dovecot.url.replace("staple", "stable")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "mail", "check"], cwd=REPO, capture_output=True,
        text=True, timeout=120,
        env=_cli_env(mail_services.settings, DRAFTDESK_MAIL_IMAP_URL=wrong,
                     DRAFTDESK_MAIL_SMTP_URL=smtp_server.url),
    )

    assert good.returncode == 0, good.stderr
    imap_line, smtp_line = good.stdout.strip().splitlines()
    assert imap_line.startswith("imap ") and ": ok" in imap_line and "IDLE" in imap_line
    assert smtp_line.startswith("smtp ") and ": ok" in smtp_line
    assert bad.returncode == 1
    assert "FAILED" in bad.stdout.splitlines()[0] and ": ok" in bad.stdout.splitlines()[1]
    for output in (good.stdout + good.stderr, bad.stdout + bad.stderr):
        assert "battery" not in output and "stable" not in output


def test_mail_import_uses_the_pollers_rules(mail_services: Any, tmp_path: Path) -> None:
    files = [tmp_path / "a.eml", tmp_path / "b.eml", tmp_path / "c.eml"]
    files[0].write_bytes(fixture_bytes("01_plain_where_is_my_order.eml"))
    files[1].write_bytes(fixture_bytes("01_plain_where_is_my_order.eml"))
    files[2].write_bytes(fixture_bytes("16_spoofed_lookalike_domain.eml"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "mail", "import", *map(str, files)], cwd=REPO,
        capture_output=True, text=True, timeout=120, env=_cli_env(mail_services.settings),
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("a.eml: buyer → conversation ")
    assert lines[1] == "b.eml: duplicate"
    assert lines[2].startswith("c.eml: not_from_amazon (")


def _expire_leases(services: Any) -> None:
    """What time does to a dead sender's claim (the lease and the grace for the copy)."""
    from datetime import timedelta

    with services.session_factory() as session, session.begin():
        for row in session.execute(select(OutboundMail)).scalars():
            if row.claim_expires_at is not None:
                row.claim_expires_at -= timedelta(hours=1)
            if row.send_started_at is not None:
                row.send_started_at -= timedelta(hours=1)


def _wait_until(condition: Any, *, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_reply_in_doubt_without_a_copy_in_the_mailbox_is_sent_again_once(
    mail_services: Any, smtp_server: SmtpServer, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    channel.store(fixture_bytes("09_signature.eml"), "test")
    drain_queue()
    _approve_only_draft(mail_services)
    with mail_services.session_factory() as session, session.begin():
        # What a sender that died before the server took the data leaves behind.
        row = session.execute(select(OutboundMail)).scalar_one()
        row.status, row.attempts = "sending", 1
    _expire_leases(mail_services)
    with mail_services.session_factory() as session, session.begin():
        row = session.execute(select(OutboundMail)).scalar_one()
        row.send_started_at = row.created_at - timedelta(hours=1)

    assert channel.sender.send_due() == 1
    assert channel.sender.send_due() == 0
    assert len(smtp_server.to("s1g2n3a4t5@marketplace.amazon.com")) == 1


def test_a_reply_in_doubt_with_no_copy_to_look_for_waits_for_a_person(
    mail_services: Any, smtp_server: SmtpServer, drain_queue: Any
) -> None:
    channel = mail_services.mail_channel
    channel.sender.config.copy_to = None
    channel.store(fixture_bytes("09_signature.eml"), "test")
    drain_queue()
    outcome = _approve_only_draft(mail_services)
    with mail_services.session_factory() as session, session.begin():
        row = session.execute(select(OutboundMail)).scalar_one()
        row.status, row.attempts = "sending", 1
        row.send_started_at = row.created_at - timedelta(hours=1)

    assert channel.sender.send_due() == 0
    assert smtp_server.received == []
    detail = mail_services.workflow.get_draft(draft_id=outcome.draft_id)
    assert detail.needs_person_reason == "mail_not_delivered"
    assert "Sent folder" in detail.thread[-1].text
