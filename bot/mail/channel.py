"""The mail channel put together: inbox rules, poller, reply queue and sender.

Built by the composition root from settings (plain values here); ``register`` makes approved
replies on mail conversations go to the outbox, ``start``/``stop`` run the threads.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.service import Workflow
from bot.events import AGENTS_TOPIC, EventPublisher
from bot.mail import repository as repo
from bot.mail.endpoints import MailServer
from bot.mail.errors import MailServerError
from bot.mail.files import MailFiles
from bot.mail.imap import MailboxPoller, MailboxStatus, open_imap
from bot.mail.inbox import MAIL_CHANNEL, MailInbox, SenderRules, StoredMail
from bot.mail.outbox import DEFAULT_MAX_REPLY_CHARS, ReplyQueue
from bot.mail.smtp import MailSender, RetryOutcome, SenderConfig, connect, retry_sending
from bot.mail.views import (
    KEPT_ASIDE,
    ConversationMail,
    Delivery,
    Download,
    KeptMail,
    attachment_download,
    conversation_mail,
    delivery,
    failed_deliveries,
    kept_aside,
    raw_download,
)
from bot.protection.crypto import DataKeyring
from knowledge_base.clock import Clock, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailChannelConfig:
    """Everything the channel needs, from settings."""

    files_dir: Path
    # Raw mails and attachments are buyer PII: encrypted on disk when a keyring is given.
    files_keyring: DataKeyring | None = None
    imap: MailServer | None = None
    smtp: MailServer | None = None
    from_address: str | None = None
    copy_to: str | None = None
    ca_file: str | None = None
    rules: SenderRules = field(default_factory=SenderRules)
    max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS
    poll_seconds: float = 60.0
    idle_seconds: float = 300.0
    send_max_attempts: int = 6
    send_retry_base_seconds: float = 30.0
    in_doubt_grace_seconds: float = 600.0

    @property
    def sender_domain(self) -> str:
        if self.from_address and "@" in self.from_address:
            return self.from_address.rsplit("@", 1)[1].strip("> ").lower()
        return "draftdesk.invalid"


@dataclass(frozen=True)
class CheckLine:
    ok: bool
    text: str


class MailChannel:
    """The Amazon inbox of one process."""

    def __init__(
        self,
        *,
        config: MailChannelConfig,
        workflow: Workflow,
        session_factory: sessionmaker[Session],
        events: EventPublisher | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.config = config
        self.session_factory = session_factory
        self.events = events
        self.clock = clock
        self.inbox = MailInbox(
            workflow=workflow,
            session_factory=session_factory,
            files=MailFiles(config.files_dir, keyring=config.files_keyring),
            rules=config.rules,
            clock=clock,
        )
        self.sender: MailSender | None = None
        if config.smtp is not None and config.from_address:
            self.sender = MailSender(
                config=SenderConfig(
                    server=config.smtp,
                    from_address=config.from_address,
                    copy_to=config.copy_to,
                    ca_file=config.ca_file,
                    max_attempts=config.send_max_attempts,
                    retry_base_seconds=config.send_retry_base_seconds,
                    in_doubt_grace_seconds=config.in_doubt_grace_seconds,
                ),
                session_factory=session_factory,
                events=events,
                clock=clock,
            )
        self.poller: MailboxPoller | None = None
        if config.imap is not None:
            self.poller = MailboxPoller(
                server=config.imap,
                store=self.store,
                session_factory=session_factory,
                ca_file=config.ca_file,
                poll_seconds=config.poll_seconds,
                idle_seconds=config.idle_seconds,
                clock=clock,
            )
        # Replies are queued even before SMTP is configured: they go out once it is.
        workflow.add_delivery(
            MAIL_CHANNEL,
            ReplyQueue(
                sender_domain=config.sender_domain,
                max_chars=config.max_reply_chars,
                wake_sender=self.sender.wake if self.sender else None,
                clock=clock,
            ),
        )

    def store(self, raw: bytes, source: str) -> StoredMail:
        return self.inbox.store(raw, source=source)

    def import_files(self, paths: Iterable[Path]) -> list[tuple[Path, StoredMail]]:
        """``mail import``: each file through exactly the poller's rules."""
        return [(path, self.store(path.read_bytes(), f"file:{path.name}")) for path in paths]

    def start(self) -> None:
        if self.poller is not None:
            self.poller.start()
        if self.sender is not None:
            self.sender.start()

    def stop(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        if self.sender is not None:
            self.sender.stop()

    def status(self) -> dict[str, object]:
        """For ``/healthz``: the mailbox's state and the outbox's backlog."""
        with self.session_factory() as session:
            pending = len(repo.list_outbound(session, statuses=["pending", "sending"]))
            failed = len(repo.list_outbound(session, statuses=["failed"]))
        mailbox = self.poller.status.as_json() if self.poller else None
        return {
            "mailbox": mailbox,
            "smtp": str(self.config.smtp) if self.config.smtp else None,
            "outbox_waiting": pending,
            "outbox_failed": failed,
        }

    def mailbox_status(self) -> MailboxStatus | None:
        return self.poller.status if self.poller else None

    # --- for reviewers (console, Slack) ---------------------------------------------------

    @property
    def files(self) -> MailFiles:
        return self.inbox.files

    def retry_sending(
        self, *, actor: str, outbound_id: int | None = None, draft_id: int | None = None
    ) -> RetryOutcome:
        """A person's "Retry sending": :func:`~bot.mail.smtp.retry_sending` (the CLI's
        retry), then wake this process's sender and tell the consoles."""
        outcome = retry_sending(
            self.session_factory,
            actor=actor,
            outbound_id=outbound_id,
            draft_id=draft_id,
            now=self.clock(),
        )
        if outcome.queued:
            if self.sender is not None:
                self.sender.wake()
            if self.events is not None:
                self.events.publish(
                    topic=AGENTS_TOPIC,
                    type="conversation_updated",
                    data={
                        "conversation_id": outcome.conversation_id,
                        "draft_id": outcome.draft_id,
                        "outbox_id": outcome.outbound_id,
                        "mail_retry": True,
                    },
                )
        return outcome

    def conversation_mail(self, *, conversation_id: str) -> ConversationMail:
        with self.session_factory() as session:
            return conversation_mail(session, conversation_id=conversation_id)

    def delivery(self, *, outbound_id: int) -> Delivery:
        with self.session_factory() as session:
            return delivery(session, outbound_id=outbound_id)

    def failed_deliveries(self, *, limit: int = 100) -> list[Delivery]:
        with self.session_factory() as session:
            return failed_deliveries(session, limit=limit)

    def kept_aside(self, *, kinds: Iterable[str] = KEPT_ASIDE, limit: int = 200) -> list[KeptMail]:
        with self.session_factory() as session:
            return kept_aside(session, kinds=list(kinds), limit=limit)

    def attachment(self, *, inbound_id: int, index: int) -> Download:
        with self.session_factory() as session:
            return attachment_download(session, self.files, inbound_id=inbound_id, index=index)

    def raw_mail(self, *, inbound_id: int) -> Download:
        with self.session_factory() as session:
            return raw_download(session, self.files, inbound_id=inbound_id)

    def check(self) -> list[CheckLine]:
        """Log in to each configured server once; one line each (``mail check``)."""
        return [self._check_imap(), self._check_smtp()]

    def _check_imap(self) -> CheckLine:
        server = self.config.imap
        if server is None:
            return CheckLine(False, "imap: not configured (DRAFTDESK_MAIL_IMAP_URL)")
        try:
            client = open_imap(server, ca_file=self.config.ca_file, timeout=15)
        except MailServerError as exc:
            return CheckLine(False, f"imap {server}: FAILED — {exc.message}")
        try:
            selected = client.select_folder(server.folder, readonly=True)
            idle = "IDLE" if client.has_capability("IDLE") else "polling"
            count = int(selected.get(b"EXISTS", 0))
        except (client.Error, OSError) as exc:
            return CheckLine(
                False, f"imap {server}: FAILED — cannot open the folder ({type(exc).__name__})"
            )
        finally:
            with contextlib.suppress(client.Error, OSError):
                client.logout()
        return CheckLine(True, f"imap {server}: ok — {count} messages, {idle}, {server.security}")

    def _check_smtp(self) -> CheckLine:
        server = self.config.smtp
        if server is None or self.sender is None:
            return CheckLine(
                False, "smtp: not configured (DRAFTDESK_MAIL_SMTP_URL and DRAFTDESK_MAIL_FROM)"
            )
        try:
            smtp = connect(self.sender.config)
        except smtplib.SMTPAuthenticationError as exc:
            return CheckLine(False, f"smtp {server}: FAILED — login refused ({exc.smtp_code})")
        except MailServerError as exc:
            return CheckLine(False, f"smtp {server}: FAILED — {exc.message}")
        except (OSError, smtplib.SMTPException) as exc:
            return CheckLine(
                False, f"smtp {server}: FAILED — cannot connect ({type(exc).__name__})"
            )
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
        who = "logged in" if server.username else "no login"
        return CheckLine(
            True,
            f"smtp {server}: ok — {who}, {server.security}, sending as {self.config.from_address}",
        )
