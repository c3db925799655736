"""Fixtures of the mail tests: real dovecot and SMTP servers on 127.0.0.1."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mail.servers import DOVECOT, Dovecot, SmtpServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SELLER_FROM = "orders@brightwater.example"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """Debian's dovecot with one empty mailbox (``apt-get install dovecot-imapd``)."""
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is not installed: apt-get install dovecot-imapd (.ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="draftdesk-dovecot-"))
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_server(dovecot: Dovecot) -> Iterator[SmtpServer]:
    """aiosmtpd that delivers mail for the seller's own address into the dovecot mailbox."""
    server = SmtpServer(mailbox=dovecot, local_addresses=(SELLER_FROM,))
    server.start()
    yield server
    server.stop()
