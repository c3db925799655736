"""The sender: delivers outbox rows by SMTP exactly once, retrying with back-off.

A row is claimed and marked ``sending`` (``send_started_at``, committed) before the server
hears of it, then marked ``sent`` with the server's answer. Errors before the message data
is sent, and any answer from the server, are certain: retried later (4xx, connection
trouble) or failed for good (5xx). A crash or a dropped connection *after* the data went out
leaves the row in doubt; it is sent again only if the copy we Bcc to the seller's own
address has not reached the mailbox after ``in_doubt_grace_seconds`` — and never when
there is no copy to look for (then a person decides).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.conversations import repository as conversations_repo
from bot.conversations.states import MessageRole, MessageStatus
from bot.events import AGENTS_TOPIC, EventPublisher
from bot.mail import repository as repo
from bot.mail.endpoints import MailServer
from bot.mail.errors import MailError, MailNotFound, MailServerError, NothingToRetry
from bot.mail.files import DocumentRefused
from bot.mail.models import OutboundMail
from bot.mail.outbox import compose
from bot.mail.tls import CertificateNotTrusted, client_context, untrusted
from knowledge_base.clock import Clock, utcnow

log = logging.getLogger(__name__)

# Why a conversation waits for a person after a refusal (its ``needs_person_reason``).
NOT_DELIVERED = "mail_not_delivered"


class _Transient(MailError):
    """Not sent, certainly; worth trying again."""


class _Permanent(MailError):
    """The server refused the message for good."""


class _InDoubt(MailError):
    """The data went out but no answer came back."""


@dataclass
class SenderConfig:
    server: MailServer
    from_address: str
    # Where a copy goes (Bcc) so a crash after sending can be checked: the seller's own
    # address, which reaches the polled mailbox. None: no copy, in-doubt rows need a person.
    copy_to: str | None = None
    ca_file: str | None = None
    timeout_seconds: float = 30.0
    max_attempts: int = 6
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    in_process_tries: int = 3
    in_process_wait_seconds: float = 1.0
    lease_seconds: float = 300.0
    in_doubt_grace_seconds: float = 600.0
    poll_seconds: float = 5.0


@dataclass
class MailSender:
    """Sends due outbox rows; ``send_due`` for one pass, ``start``/``stop`` for a thread."""

    config: SenderConfig
    session_factory: sessionmaker[Session]
    events: EventPublisher | None = None
    clock: Clock = utcnow
    sleep: Callable[[float], None] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def send_due(self) -> int:
        """Send every row that is due now; returns how many were sent."""
        sent = 0
        while not self._stop.is_set():
            claimed = self._claim()
            if claimed is None:
                break
            if self._deliver(*claimed):
                sent += 1
        return sent

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.send_due()
            except Exception:  # a database hiccup must not end the sender thread
                log.exception("mail sender loop error; retrying after a pause")
            self._wake.wait(self.config.poll_seconds)
            self._wake.clear()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self.run_forever, name="mail-sender", daemon=True
            )
            self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    # --- one row ------------------------------------------------------------------------

    def _claim(self) -> tuple[int, str] | None:
        """Claim the next due row and mark it ``sending``; settles in-doubt rows on the way."""
        now = self.clock()
        with self.session_factory() as session, session.begin():
            while True:
                row = repo.claim_next_outbound(session, now=now)
                if row is None:
                    return None
                if row.status == "sending" and not self._may_resend(row, now=now):
                    session.flush()
                    continue
                token = uuid.uuid4().hex
                row.status = "sending"
                row.claim_token = token
                row.claim_expires_at = now + timedelta(seconds=self.config.lease_seconds)
                row.attempts += 1
                row.send_started_at = now
                return row.id, token

    def _may_resend(self, row: OutboundMail, *, now: datetime) -> bool:
        """A row a crashed sender left ``sending``: settle it, or say it may go again."""
        if row.copy_seen_at is not None:
            self._settle(
                row, status="sent", now=now, server_reply="confirmed by its copy in the mailbox"
            )
            return False
        if self.config.copy_to is None:
            self._settle(
                row,
                status="failed",
                now=now,
                error=(
                    "the sender stopped while sending and there is no copy to check: look in "
                    "the Sent folder, then retry or mark it handled"
                ),
            )
            return False
        started = row.send_started_at or now
        settle_at = started + timedelta(seconds=self.config.in_doubt_grace_seconds)
        if now < settle_at:
            row.next_attempt_at = settle_at
            row.claim_token = None
            row.claim_expires_at = None
            return False
        log.warning("reply %s: no copy reached the mailbox; sending it again", row.message_id)
        return True

    def _deliver(self, outbound_id: int, token: str) -> bool:
        with self.session_factory() as session:
            row = session.get(OutboundMail, outbound_id)
            assert row is not None
            try:
                mail = compose(row, from_address=self.config.from_address)
            except DocumentRefused as exc:
                refused: str | None = str(exc)
            else:
                refused = None
            recipients = [row.to_address]
            session.expunge(row)
        if refused is not None:  # never sent without the documents the agent approved
            self._finish(outbound_id, token, status="failed", error=refused)
            return False
        if self.config.copy_to and self.config.copy_to.lower() != row.to_address.lower():
            recipients.append(self.config.copy_to)
        try:
            answer = self._send_with_retries(mail.as_bytes(), recipients)
        except _Permanent as exc:
            self._finish(outbound_id, token, status="failed", error=str(exc))
            return False
        except _InDoubt as exc:
            self._finish(outbound_id, token, status="sending", error=str(exc))
            return False
        except _Transient as exc:
            self._finish(outbound_id, token, status="pending", error=str(exc))
            return False
        self._finish(outbound_id, token, status="sent", server_reply=answer)
        return True

    def _send_with_retries(self, data: bytes, recipients: list[str]) -> str:
        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_after_attempt(max(1, self.config.in_process_tries)),
            wait=wait_exponential(multiplier=self.config.in_process_wait_seconds, max=60),
            sleep=self.sleep or self._pause,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return send_once(self.config, data, recipients)
        raise AssertionError("unreachable")  # pragma: no cover

    def _pause(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _finish(
        self,
        outbound_id: int,
        token: str,
        *,
        status: str,
        server_reply: str | None = None,
        error: str | None = None,
    ) -> None:
        now = self.clock()
        with self.session_factory() as session, session.begin():
            row = repo.lock_outbound(session, outbound_id=outbound_id)
            if row is None or row.claim_token != token:
                return  # another sender settled it meanwhile
            if status == "pending" and row.attempts >= self.config.max_attempts:
                status = "failed"
            if status == "sending":
                # In doubt: look for the copy after the grace period.
                row.next_attempt_at = now + timedelta(seconds=self.config.in_doubt_grace_seconds)
                row.claim_token = None
                row.claim_expires_at = None
                row.last_error = (error or "")[:500]
                return
            if status == "pending":
                row.status = "pending"
                row.next_attempt_at = now + timedelta(seconds=self._backoff(row.attempts))
                row.claim_token = None
                row.claim_expires_at = None
                row.last_error = (error or "")[:500]
                log.warning(
                    "reply %s not sent yet (attempt %d): %s", row.message_id, row.attempts, error
                )
                return
            self._settle(row, status=status, now=now, server_reply=server_reply, error=error)

    def _settle(
        self,
        row: OutboundMail,
        *,
        status: str,
        now: datetime,
        server_reply: str | None = None,
        error: str | None = None,
    ) -> None:
        session = Session.object_session(row)
        assert session is not None
        row.status = status
        row.claim_token = None
        row.claim_expires_at = None
        row.next_attempt_at = None
        if status == "sent":
            row.sent_at = now
            row.server_reply = (server_reply or "")[:500]
            return
        row.last_error = (error or "")[:500]
        log.error("reply %s could not be delivered: %s", row.message_id, error)
        self._show_failure(session, row, now=now)

    def _show_failure(self, session: Session, row: OutboundMail, *, now: datetime) -> None:
        """A permanent failure shows on the conversation and its draft, for a person."""
        conversation = conversations_repo.lock_conversation(
            session, conversation_id=row.conversation_id
        )
        conversation.needs_person = True
        conversation.needs_person_reason = NOT_DELIVERED
        conversation.updated_at = now
        note = f"The reply could not be delivered by e-mail: {row.last_error}"
        conversations_repo.add_message(
            session,
            conversation_id=row.conversation_id,
            role=MessageRole.SYSTEM,
            text=note[:2000],
            status=MessageStatus.SENT,
            now=now,
        )
        conversations_repo.add_review_event(
            session,
            conversation_id=row.conversation_id,
            draft_id=row.draft_id,
            actor="mail",
            action="delivery_failed",
            now=now,
            note=row.last_error,
        )
        if self.events is not None:
            # Told after the commit: a console that re-reads at once must find the refusal.
            events = self.events
            data = {
                "conversation_id": row.conversation_id,
                "draft_id": row.draft_id,
                "outbox_id": row.id,
                "needs_person": True,
                "mail_not_delivered": True,
            }
            event.listen(
                session,
                "after_commit",
                lambda _session: events.publish(
                    topic=AGENTS_TOPIC, type="conversation_updated", data=data
                ),
                once=True,
            )

    def _backoff(self, attempt: int) -> float:
        delay = self.config.retry_base_seconds * (2 ** max(0, attempt - 1))
        return float(min(delay, self.config.retry_max_seconds))


def retry_failed(
    session: Session, *, outbound_id: int, actor: str = "cli", now: datetime | None = None
) -> bool:
    """A person asks to send a failed reply again (same Message-ID); True when queued.

    The one retry behind ``mail retry``, the console's and Slack's "Retry sending": the row
    goes back to ``pending`` with fresh attempts (its last error is kept until it is sent),
    the retry is recorded in the review log, and the conversation stops waiting for a person
    because of this failure (a new refusal shows it again).
    """
    row = repo.lock_outbound(session, outbound_id=outbound_id)
    if row is None or row.status != "failed":
        return False
    now = now or utcnow()
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = None
    row.send_started_at = None
    conversation = conversations_repo.lock_conversation(
        session, conversation_id=row.conversation_id
    )
    if conversation.needs_person_reason == NOT_DELIVERED and not repo.other_failed_outbound(
        session, conversation_id=row.conversation_id, besides=row.id
    ):
        conversation.needs_person = False
        conversation.needs_person_reason = None
        conversation.updated_at = now
    conversations_repo.add_review_event(
        session,
        conversation_id=row.conversation_id,
        draft_id=row.draft_id,
        actor=actor,
        action="delivery_retried",
        now=now,
        note=row.last_error,
    )
    return True


@dataclass(frozen=True)
class RetryOutcome:
    """What "Retry sending" did; ``queued`` is False when the reply was already waiting."""

    outbound_id: int
    conversation_id: str
    draft_id: int | None
    queued: bool


def retry_sending(
    session_factory: sessionmaker[Session],
    *,
    actor: str,
    outbound_id: int | None = None,
    draft_id: int | None = None,
    now: datetime | None = None,
) -> RetryOutcome:
    """Queue a failed reply (by its outbox row or its draft) again with :func:`retry_failed`.

    Idempotent: a reply already waiting to be sent is left alone (``queued`` False).
    Raises :class:`MailNotFound` when there is no such reply by e-mail and
    :class:`NothingToRetry` when it was delivered.
    """
    with session_factory() as session, session.begin():
        row: OutboundMail | None = None
        if outbound_id is not None:
            row = session.get(OutboundMail, outbound_id)
        elif draft_id is not None:
            row = repo.outbound_of_draft(session, draft_id=draft_id)
        if row is None:
            raise MailNotFound("there is no reply by e-mail to send again")
        queued = retry_failed(session, outbound_id=row.id, actor=actor, now=now)
        if not queued and row.status == "sent":
            raise NothingToRetry("the reply was delivered: there is nothing to send again")
        return RetryOutcome(
            outbound_id=row.id,
            conversation_id=row.conversation_id,
            draft_id=row.draft_id,
            queued=queued,
        )


def connect(config: SenderConfig) -> smtplib.SMTP:
    """An SMTP session, TLS as the URL demands, logged in when a user is set.

    A certificate that does not verify raises :class:`CertificateNotTrusted`.
    """
    server = config.server
    context = client_context(config.ca_file)
    smtp: smtplib.SMTP | None = None
    try:
        if server.security == "tls":
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=config.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=config.timeout_seconds)
        smtp.ehlo()
        if server.security != "tls":
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif server.security == "starttls":
                raise MailServerError(
                    f"the SMTP server {server} does not offer STARTTLS, and smtp:// may stay "
                    "plain only to a loopback host: use smtps://",
                    code="mail_tls_unavailable",
                )
        if server.username:
            smtp.login(server.username, server.password or "")
    except ssl.SSLCertVerificationError as exc:
        if smtp is not None:
            smtp.close()
        raise untrusted("SMTP", server.host, exc) from exc
    except BaseException:
        if smtp is not None:
            smtp.close()
        raise
    return smtp


def send_once(config: SenderConfig, data: bytes, recipients: list[str]) -> str:
    """One SMTP conversation; returns the server's final answer (``250 …``)."""
    try:
        smtp = connect(config)
    except smtplib.SMTPAuthenticationError as exc:
        raise _Permanent(f"login refused ({exc.smtp_code})") from exc
    except CertificateNotTrusted as exc:  # as any TLS trouble: retried, then shown
        raise _Transient(exc.message) from exc
    except MailServerError as exc:
        raise _Permanent(exc.message) from exc
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise _Transient(f"could not reach the SMTP server ({type(exc).__name__})") from exc
    try:
        code, answer = smtp.mail(config.from_address)
        _check(code, answer, "MAIL FROM")
        accepted = 0
        for recipient in recipients:
            code, answer = smtp.rcpt(recipient)
            if recipient == recipients[0]:
                _check(code, answer, "RCPT TO")
            accepted += code in (250, 251)
        try:
            code, answer = smtp.data(data)
        except smtplib.SMTPResponseException as exc:
            _check(exc.smtp_code, exc.smtp_error, "DATA")
            raise _Transient(f"DATA: unexpected answer {exc.smtp_code}") from exc
        except OSError as exc:  # includes SMTPServerDisconnected and timeouts
            raise _InDoubt(
                f"the connection dropped after the data was sent ({type(exc).__name__})"
            ) from exc
        _check(code, answer, "DATA")
        return f"{code} {answer.decode('utf-8', 'replace')}"[:500]
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise _Transient(f"the SMTP connection failed ({type(exc).__name__})") from exc
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _check(code: int, answer: bytes | str, step: str) -> None:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer
    if 200 <= code < 400:
        return
    message = f"{step}: {code} {' '.join(text.split())}"[:400]
    if 400 <= code < 500:
        raise _Transient(message)
    raise _Permanent(message)
