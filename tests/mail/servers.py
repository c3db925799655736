"""Real mail servers for the tests, on 127.0.0.1 only: Debian's dovecot (IMAP, its own
config in a temp dir) and an aiosmtpd server that records what it receives and, like a real
MTA, delivers mail for the seller's own address into the dovecot mailbox.

Both speak plain text by default; given a :class:`ServerCertificate` dovecot serves imaps
only (``ssl = required``) and aiosmtpd implicit TLS (``smtps``) or STARTTLS that it requires.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from tests.mail.certificates import ServerCertificate

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "seller@brightwater.example"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, *, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
{ssl}
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%n
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    """A dovecot IMAP server for one user, started in the foreground, stopped after."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # With a certificate: imaps on ``port`` and nothing in plain text.
    tls: ServerCertificate | None = None

    @property
    def url(self) -> str:
        from urllib.parse import quote

        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{quote(USER)}:{quote(PASSWORD)}@127.0.0.1:{self.port}/INBOX"

    def start(self) -> None:
        # Mail processes run as an unprivileged user ("nobody"), so the root must be
        # reachable by it: a directory of its own under /tmp, not pytest's private tmp.
        mail_user = pwd.getpwnam("nobody")
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.root / sub, mail_user.pw_uid, mail_user.pw_gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = self.root / "dovecot.conf"
        if self.tls is None:
            tls_settings, imap_port, imaps_port = (
                "ssl = no\ndisable_plaintext_auth = no", self.port, 0)
        else:
            tls_settings = (f"ssl = required\nssl_cert = <{self.tls.cert_file}\n"
                            f"ssl_key = <{self.tls.key_file}\ndisable_plaintext_auth = yes")
            imap_port, imaps_port = 0, self.port
        config.write_text(_CONFIG.format(root=self.root, imap_port=imap_port,
                                         imaps_port=imaps_port, ssl=tls_settings,
                                         uid=mail_user.pw_uid, gid=mail_user.pw_gid))
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for_port(self.port)
        except RuntimeError:
            self.stop()
            log = (self.root / "dovecot.log")
            raise RuntimeError("dovecot did not start: " + (
                log.read_text()[-2000:] if log.exists() else "no log")) from None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def client(self) -> IMAPClient:
        client = IMAPClient(
            "127.0.0.1", port=self.port, ssl=self.tls is not None, timeout=10,
            ssl_context=self.tls.client_context() if self.tls else None)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a mail in the mailbox, as the seller's mail server would."""
        client = self.client()
        try:
            client.append(folder, raw)
        finally:
            client.logout()

    def message_ids(self, folder: str = "INBOX") -> list[str]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            return [
                str(message_from_bytes(data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"],
                                       policy=policy.default).get("message-id", "")).strip()
                for _, data in sorted(fetched.items())
            ]
        finally:
            client.logout()


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: str | None = None  # the TLS version the message came over ("TLSv1.3"), if any

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        tls = smtp.transport.get_extra_info("ssl_object") if smtp.transport else None
        received = Received(mail_from=str(envelope.mail_from),
                            rcpt_tos=[str(r) for r in envelope.rcpt_tos],
                            content=bytes(envelope.original_content or envelope.content),
                            tls=tls.version() if tls is not None else None)
        with self.server.lock:
            self.server.received.append(received)
        if self.server.answer_data is not None:
            self.server.data_seen.set()
            return self.server.answer_data
        if self.server.mailbox is not None:
            for rcpt in received.rcpt_tos:
                if rcpt.lower() in self.server.local_addresses:
                    self.server.mailbox.deliver(received.content)
        self.server.data_seen.set()
        if self.server.hold is not None:
            # Taken and delivered, but the answer waits (a client killed now never hears it).
            await asyncio.get_running_loop().run_in_executor(None, self.server.hold.wait, 30)
        return "250 2.0.0 Ok: queued as 4F2kQm3x1Zz"


class SmtpServer:
    """aiosmtpd on a free loopback port; ``received`` lists every accepted message.

    ``answer_data`` replaces the answer to DATA (e.g. a permanent ``550``), after recording.
    With ``tls``: implicit TLS (``smtps``), or ``starttls`` that the server requires before
    MAIL FROM.
    """

    def __init__(self, *, mailbox: Dovecot | None = None,
                 local_addresses: tuple[str, ...] = (),
                 tls: ServerCertificate | None = None,
                 tls_mode: Literal["smtps", "starttls"] = "smtps") -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.data_seen = threading.Event()
        self.answer_data: str | None = None
        self.hold: threading.Event | None = None
        self.mailbox = mailbox
        self.local_addresses = {a.lower() for a in local_addresses}
        self.tls = tls
        self.tls_mode = tls_mode
        context: ssl.SSLContext | None = tls.server_context() if tls else None
        if context is not None and tls_mode == "smtps":
            self._controller = Controller(_Handler(self), hostname="127.0.0.1",
                                          port=self.port, ssl_context=context)
        else:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1",
                                          port=self.port, tls_context=context,
                                          require_starttls=context is not None)

    @property
    def url(self) -> str:
        scheme = "smtps" if self.tls and self.tls_mode == "smtps" else "smtp"
        return f"{scheme}://127.0.0.1:{self.port}"

    def hold_answer(self) -> threading.Event:
        """From now on DATA is answered only once the returned event is set."""
        self.hold = threading.Event()
        return self.hold

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]
