"""The mail channel over real TLS: dovecot with ``ssl = required`` on an imaps port, aiosmtpd
with implicit TLS (smtps) and with required STARTTLS — all with a throwaway CA made at test
time that draftdesk trusts through ``DRAFTDESK_MAIL_CA_FILE``, or does not.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.mail.endpoints import parse_server_url
from bot.mail.errors import MailServerError
from bot.mail.models import OutboundMail
from bot.mail.tls import client_context
from bot.services import build_services
from tests.fakes import FakeEmbedder, InMemoryIndex
from tests.mail.certificates import ServerCertificate, make_certificates
from tests.mail.conftest import SELLER_FROM, fixture_bytes
from tests.mail.servers import DOVECOT, Dovecot, SmtpServer

RELAY = "r3kz8m0yq2cz9wd@marketplace.amazon.com"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def certificate(tmp_path: Path) -> ServerCertificate:
    return make_certificates(tmp_path / "tls")


@pytest.fixture
def other_ca(tmp_path: Path) -> Path:
    """A CA bundle that did not sign the servers' certificates."""
    return make_certificates(tmp_path / "other", ca_name="someone else's CA").ca_file


@pytest.fixture
def imaps_dovecot(certificate: ServerCertificate) -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is not installed: apt-get install dovecot-imapd (.ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="draftdesk-dovecot-tls-"))
    server = Dovecot(root, tls=certificate)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["smtps", "starttls"])
def tls_smtp_server(request: Any, certificate: ServerCertificate) -> Iterator[SmtpServer]:
    server = SmtpServer(tls=certificate, tls_mode=request.param)
    server.start()
    yield server
    server.stop()


def _services(settings: Any, fake_drafter: Any, **mail: Any) -> Any:
    services = build_services(
        settings.model_copy(update={"mail_from": SELLER_FROM, **mail}),
        embedder=FakeEmbedder(),
        index=InMemoryIndex(),
        drafter=fake_drafter,
        migrate=False,
    )
    services.workflow  # noqa: B018 - builds the mail channel
    return services


@pytest.fixture
def make_services(workflow_settings: Any, fake_drafter: Any) -> Iterator[Callable[..., Any]]:
    built: list[Any] = []

    def make(**mail: Any) -> Any:
        built.append(_services(workflow_settings, fake_drafter, **mail))
        return built[-1]

    yield make
    for services in built:
        services.close()


def _approve_only_draft(services: Any) -> Any:
    (draft,) = services.workflow.list_drafts()
    return services.workflow.approve(draft_id=draft.id, actor="agent@example.com")


def _mail_check(settings: Any, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTDESK_")}
    clean.update(
        {
            "DRAFTDESK_ENV_FILE": os.devnull,
            "DRAFTDESK_DATA_DIR": str(settings.data_dir),
            "DRAFTDESK_DATABASE_URL": settings.database_url,
            "DRAFTDESK_ENVIRONMENT": "test",
            "DRAFTDESK_MAIL_FROM": SELLER_FROM,
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "mail", "check"],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_relay_mail_polled_over_imaps_is_stored(
    make_services: Any,
    imaps_dovecot: Dovecot,
    certificate: ServerCertificate,
    drain_queue: Any,
) -> None:
    assert imaps_dovecot.url.startswith("imaps://")
    services = make_services(
        mail_imap_url=SecretStr(imaps_dovecot.url), mail_ca_file=certificate.ca_file
    )
    imaps_dovecot.deliver(fixture_bytes("01_plain_where_is_my_order.eml"))

    assert services.mail_channel.poller.poll_once() == 1
    assert drain_queue() == 1
    assert len(services.workflow.list_drafts()) == 1
    imap_line = services.mail_channel.check()[0]
    assert imap_line.ok and imap_line.text.endswith(", tls"), imap_line.text
    # The server speaks no plain text: no IMAP greeting comes before a TLS handshake.
    with socket.create_connection(("127.0.0.1", imaps_dovecot.port), timeout=5) as plain:
        plain.sendall(b"a1 CAPABILITY\r\n")
        try:
            greeting = plain.recv(100)
        except OSError:
            greeting = b""
    assert not greeting.startswith(b"* OK"), greeting


def test_an_approved_reply_is_delivered_over_tls(
    make_services: Any,
    tls_smtp_server: SmtpServer,
    certificate: ServerCertificate,
    drain_queue: Any,
) -> None:
    services = make_services(
        mail_smtp_url=SecretStr(tls_smtp_server.url), mail_ca_file=certificate.ca_file
    )
    channel = services.mail_channel
    channel.store(fixture_bytes("01_plain_where_is_my_order.eml"), "test")
    assert drain_queue() == 1
    _approve_only_draft(services)

    assert channel.sender.send_due() == 1
    (reply,) = tls_smtp_server.to(RELAY)
    assert reply.tls is not None and reply.tls.startswith("TLSv1."), reply.tls
    assert reply.message["To"] == RELAY
    with services.session_factory() as session:
        row = session.execute(select(OutboundMail)).scalar_one()
    assert row.status == "sent" and row.server_reply.startswith("250")
    smtp_line = channel.check()[1]
    security = "tls" if tls_smtp_server.tls_mode == "smtps" else "starttls_or_plain"
    assert smtp_line.ok and f", {security}," in smtp_line.text, smtp_line.text
    if tls_smtp_server.tls_mode == "starttls":
        # The server refuses mail before STARTTLS: the reply above went over TLS.
        with smtplib.SMTP("127.0.0.1", tls_smtp_server.port, timeout=10) as plain:
            plain.ehlo()
            assert plain.has_extn("starttls")
            assert plain.mail(SELLER_FROM)[0] == 530


def test_mail_check_says_in_one_line_that_a_certificate_is_not_trusted(
    make_services: Any,
    workflow_settings: Any,
    imaps_dovecot: Dovecot,
    tls_smtp_server: SmtpServer,
) -> None:
    result = _mail_check(
        workflow_settings,
        DRAFTDESK_MAIL_IMAP_URL=imaps_dovecot.url,
        DRAFTDESK_MAIL_SMTP_URL=tls_smtp_server.url,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    imap_line, smtp_line = result.stdout.strip().splitlines()
    for line, kind in ((imap_line, "IMAP"), (smtp_line, "SMTP")):
        assert "FAILED" in line, line
        assert f"the {kind} server 127.0.0.1 has a certificate that is not trusted" in line
        assert "DRAFTDESK_MAIL_CA_FILE" in line
    assert "battery" not in result.stdout + result.stderr
    assert tls_smtp_server.received == []


def test_a_reply_is_not_sent_to_a_server_whose_certificate_is_not_trusted(
    make_services: Any,
    tls_smtp_server: SmtpServer,
    other_ca: Path,
    drain_queue: Any,
) -> None:
    services = make_services(mail_smtp_url=SecretStr(tls_smtp_server.url), mail_ca_file=other_ca)
    channel = services.mail_channel
    channel.sender.sleep = lambda _seconds: None
    channel.store(fixture_bytes("09_signature.eml"), "test")
    drain_queue()
    _approve_only_draft(services)

    assert channel.sender.send_due() == 0
    assert tls_smtp_server.received == []
    with services.session_factory() as session:
        row = session.execute(select(OutboundMail)).scalar_one()
    # Retried later like any TLS trouble; the reason is kept for a person.
    assert row.status == "pending"
    assert "certificate that is not trusted" in (row.last_error or "")
    assert not channel.check()[1].ok


def test_plain_text_is_refused_to_a_server_that_is_not_on_loopback(
    make_services: Any,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    drain_queue: Any,
) -> None:
    # smtp:// and imap:// to any other host must upgrade with STARTTLS ...
    remote_smtp = parse_server_url("smtp://mail.brightwater.example:587", kind="smtp")
    remote_imap = parse_server_url("imap://u:p@imap.brightwater.example/INBOX", kind="imap")
    assert (remote_smtp.security, remote_imap.security) == ("starttls", "starttls")
    # ... so pointed at the real plain-text servers (which offer no STARTTLS) they refuse.
    services = make_services(
        mail_imap_url=SecretStr(dovecot.url), mail_smtp_url=SecretStr(smtp_server.url)
    )
    channel = services.mail_channel
    smtp = dataclasses.replace(remote_smtp, host="127.0.0.1", port=smtp_server.port)
    imap = dataclasses.replace(parse_server_url(dovecot.url, kind="imap"), security="starttls")
    channel.config = dataclasses.replace(channel.config, smtp=smtp, imap=imap)
    channel.sender.config = dataclasses.replace(channel.sender.config, server=smtp)

    imap_line, smtp_line = channel.check()
    assert not imap_line.ok and not smtp_line.ok
    assert "does not offer STARTTLS" in imap_line.text and "use imaps://" in imap_line.text
    assert "does not offer STARTTLS" in smtp_line.text and "use smtps://" in smtp_line.text
    assert "\n" not in imap_line.text + smtp_line.text
    channel.store(fixture_bytes("09_signature.eml"), "test")
    drain_queue()
    _approve_only_draft(services)
    assert channel.sender.send_due() == 0
    assert smtp_server.received == []


def test_the_ca_file_is_added_to_the_systems_trust_store(
    certificate: ServerCertificate, tmp_path: Path
) -> None:
    system = ssl.create_default_context().cert_store_stats()["x509_ca"]
    with_ca = client_context(str(certificate.ca_file))
    assert with_ca.cert_store_stats()["x509_ca"] == system + 1
    assert with_ca.verify_mode == ssl.CERT_REQUIRED and with_ca.check_hostname
    broken = tmp_path / "broken.pem"
    broken.write_text("not a certificate\n")
    for path in (broken, tmp_path / "missing.pem"):
        with pytest.raises(MailServerError) as refused:
            client_context(str(path))
        assert refused.value.message.startswith("DRAFTDESK_MAIL_CA_FILE ")
