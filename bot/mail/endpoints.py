"""Mail server addresses (``imaps://user:pass@host:993/INBOX``, ``smtp://host:587``).

TLS is required except to a loopback host: ``imaps``/``smtps`` connect over TLS, ``imap``/
``smtp`` upgrade with STARTTLS — and may stay plain only on 127.0.0.0/8 or ::1 (a local test
server or relay). ``str()`` and ``repr()`` never show the password.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

from bot.mail.errors import MailConfigError

Security = Literal["tls", "starttls", "starttls_or_plain"]
_DEFAULT_PORTS = {"imaps": 993, "imap": 143, "smtps": 465, "smtp": 587}


@dataclass(frozen=True)
class MailServer:
    """Where and how to log in; ``folder`` only for IMAP."""

    kind: Literal["imap", "smtp"]
    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    folder: str = "INBOX"

    def __str__(self) -> str:
        who = f"{self.username}@" if self.username else ""
        where = f"{who}{self.host}:{self.port}"
        return f"{where}/{self.folder}" if self.kind == "imap" else where

    @property
    def key(self) -> str:
        """A stable name for this mailbox (cursor key; no password)."""
        return f"{self.kind}://{self}"

    def ssl_context(self, ca_file: str | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_server_url(
    url: str, *, kind: Literal["imap", "smtp"], password: str | None = None
) -> MailServer:
    """Read a server URL; ``password`` (from a file setting) replaces one in the URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise MailConfigError(f"the {kind} server URL is not valid") from exc
    scheme = parts.scheme.lower()
    if scheme not in (kind, f"{kind}s"):
        raise MailConfigError(f"the {kind} server URL must start with {kind}s:// or {kind}://")
    host = parts.hostname or ""
    if not host:
        raise MailConfigError(f"the {kind} server URL has no host")
    security: Security = "tls" if scheme.endswith("s") else "starttls"
    if security == "starttls" and is_loopback(host):
        security = "starttls_or_plain"
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailServer(
        kind=kind, host=host, port=port or _DEFAULT_PORTS[scheme], security=security,
        username=unquote(parts.username) if parts.username else None,
        password=password if password is not None else (
            unquote(parts.password) if parts.password else None),
        folder=folder,
    )
