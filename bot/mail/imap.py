"""The mailbox poller: reads new mails over IMAP (IDLE where the server has it, else
polling) and hands each to the inbox. It remembers the last UID it stored per folder and
UIDVALIDITY, so a person reading the mailbox in their own client changes nothing, and a
crash re-reads at most the mail being stored (which the inbox then finds a duplicate).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from imapclient import IMAPClient
from sqlalchemy.orm import Session, sessionmaker

from bot.mail import repository as repo
from bot.mail.endpoints import MailServer
from bot.mail.errors import MailServerError
from bot.mail.inbox import StoredMail
from bot.mail.tls import client_context, untrusted
from knowledge_base.clock import Clock, utcnow

log = logging.getLogger(__name__)


@dataclass
class MailboxStatus:
    """What ``/healthz`` and ``mail check`` say about the mailbox (no credentials)."""

    mailbox: str
    state: str = "not started"  # "ok" | "down" | "not started"
    idle: bool | None = None
    last_ok_at: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    stored: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "mailbox": self.mailbox, "state": self.state, "idle": self.idle,
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
            "last_error": self.last_error, "consecutive_failures": self.failures,
            "stored": self.stored,
        }


def open_imap(server: MailServer, *, ca_file: str | None = None,
              timeout: float = 30.0) -> IMAPClient:
    """Connect and log in (TLS as the URL demands); raises MailServerError."""
    context = client_context(ca_file)
    try:
        client = IMAPClient(server.host, port=server.port, ssl=server.security == "tls",
                            ssl_context=context, timeout=timeout)
    except ssl.SSLCertVerificationError as exc:
        raise untrusted("IMAP", server.host, exc) from exc
    except OSError as exc:
        raise MailServerError(f"cannot reach the IMAP server {server.host}:{server.port} "
                              f"({type(exc).__name__})") from exc
    try:
        if server.security != "tls":
            if client.has_capability("STARTTLS"):
                client.starttls(context)
            elif server.security == "starttls":
                raise MailServerError(
                    f"the IMAP server {server.host} does not offer STARTTLS, and imap:// may "
                    "stay plain only to a loopback host: use imaps://",
                    code="mail_tls_unavailable")
        client.login(server.username or "", server.password or "")
    except MailServerError:
        _quietly_close(client)
        raise
    except ssl.SSLCertVerificationError as exc:
        _quietly_close(client)
        raise untrusted("IMAP", server.host, exc) from exc
    except IMAPClient.Error as exc:
        _quietly_close(client)
        raise MailServerError(f"the IMAP server refused the login for {server.username}",
                              code="mail_login_refused") from exc
    except OSError as exc:
        _quietly_close(client)
        raise MailServerError(f"the IMAP connection failed ({type(exc).__name__})") from exc
    return client


@dataclass
class MailboxPoller:
    """Polls one folder; ``poll_once`` for one pass, ``start``/``stop`` for a thread."""

    server: MailServer
    store: Callable[[bytes, str], StoredMail]
    session_factory: sessionmaker[Session]
    ca_file: str | None = None
    poll_seconds: float = 60.0
    idle_seconds: float = 300.0
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 300.0
    clock: Clock = utcnow
    status: MailboxStatus = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.status = MailboxStatus(mailbox=str(self.server))

    def poll_once(self) -> int:
        """Connect, store every new mail, disconnect; returns how many new mails were read."""
        client = open_imap(self.server, ca_file=self.ca_file)
        try:
            return self._read_new(client)
        finally:
            _quietly_close(client)

    def run_forever(self) -> None:
        """Until :meth:`stop`: read, then wait in IDLE (or sleep); reconnect with back-off."""
        while not self._stop.is_set():
            try:
                client = open_imap(self.server, ca_file=self.ca_file)
            except MailServerError as exc:
                self._failed(exc.message)
                continue
            try:
                self.status.idle = client.has_capability("IDLE")
                while not self._stop.is_set():
                    self._read_new(client)
                    self._ok()
                    if self.status.idle:
                        self._idle(client)
                    else:
                        self._stop.wait(self.poll_seconds)
            except (IMAPClient.Error, OSError) as exc:
                self._failed(f"the IMAP connection failed ({type(exc).__name__})")
            except Exception as exc:  # e.g. the database is down: keep the thread alive
                log.exception("mail poller error")
                self._failed(f"storing mail failed ({type(exc).__name__})")
            finally:
                _quietly_close(client)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name="mail-poller",
                                            daemon=True)
            self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    # --- inside ------------------------------------------------------------------------

    def _read_new(self, client: IMAPClient) -> int:
        selected = client.select_folder(self.server.folder, readonly=True)
        uid_validity = int(selected[b"UIDVALIDITY"])
        with self.session_factory() as session:
            cursor = repo.get_cursor(session, mailbox=self.server.key)
            last_uid = cursor.last_uid if cursor and cursor.uid_validity == uid_validity else 0
        # "n:*" always matches the newest mail, even below n: filter.
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        read = 0
        for uid in uids:
            fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
            raw = fetched.get(b"BODY[]")
            if isinstance(raw, bytes):
                stored = self.store(raw, f"imap:{self.server.folder}:{uid_validity}:{uid}")
                self.status.stored += stored.kind != "duplicate"
                read += 1
            with self.session_factory() as session, session.begin():
                repo.save_cursor(session, mailbox=self.server.key, uid_validity=uid_validity,
                                 last_uid=uid, now=self.clock())
        return read

    def _idle(self, client: IMAPClient) -> None:
        client.idle()
        try:
            waited = 0.0
            step = min(5.0, self.idle_seconds)  # wake up now and then to notice stop()
            while not self._stop.is_set() and waited < self.idle_seconds:
                if client.idle_check(timeout=step):
                    break
                waited += step
        finally:
            client.idle_done()

    def _ok(self) -> None:
        self.status.state = "ok"
        self.status.last_ok_at = self.clock()
        self.status.last_error = None
        self.status.failures = 0

    def _failed(self, message: str) -> None:
        self.status.state = "down"
        self.status.last_error = message
        self.status.failures += 1
        delay = min(self.retry_max_seconds,
                    self.retry_base_seconds * 2 ** min(self.status.failures - 1, 10))
        log.warning("mailbox %s: %s; retrying in %.0f s", self.server, message, delay)
        self._stop.wait(delay)


def _quietly_close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClient.Error, OSError):
        with contextlib.suppress(OSError):
            client.shutdown()
