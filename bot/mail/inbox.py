"""Store one mail with the inbox's rules — the same for the IMAP poller and ``mail import``.

* de-duplicated by ``Message-ID`` (a mail without one gets a stable id from its bytes);
* a mail that cannot be read is kept raw and listed (``unparseable``);
* a mail not from a marketplace relay (ordinary or spoofed) is kept apart
  (``not_from_amazon``) and never drafted;
* a relay mail becomes a buyer message in the conversation of its relay address + order,
  with the reply deadline counted from its ``Date``, in the same transaction as its record.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations import repository as conversations_repo
from bot.conversations.inbox import hash_buyer_token
from bot.conversations.models import Message
from bot.conversations.service import Workflow
from bot.mail import repository as repo
from bot.mail.files import MailFiles
from bot.mail.models import InboundMail, MailThread
from bot.mail.parsing import ParsedMail, parse_mail
from bot.mail.relay import DEFAULT_RELAY_DOMAINS, SenderVerdict, classify_sender
from knowledge_base.clock import Clock, utcnow

log = logging.getLogger(__name__)

MAIL_CHANNEL = "mail"
# Control characters and invisible/bidi formatting (never useful, sometimes an injection).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
# The reply language a marketplace implies (the buyer may still write in another).
_MARKETPLACE_LOCALES = {
    "amazon.com": "en-US", "amazon.ca": "en-CA", "amazon.co.uk": "en-GB", "amazon.ie": "en-IE",
    "amazon.com.au": "en-AU", "amazon.in": "en-IN", "amazon.sg": "en-SG",
    "amazon.de": "de-DE", "amazon.fr": "fr-FR", "amazon.it": "it-IT", "amazon.es": "es-ES",
    "amazon.com.mx": "es-MX", "amazon.com.br": "pt-BR", "amazon.nl": "nl-NL",
    "amazon.se": "sv-SE", "amazon.pl": "pl-PL", "amazon.com.be": "fr-BE",
    "amazon.com.tr": "tr-TR", "amazon.co.jp": "ja-JP",
}


@dataclass(frozen=True)
class SenderRules:
    """Which senders count as the marketplace relay (see :mod:`bot.mail.relay`)."""

    relay_domains: Sequence[str] = DEFAULT_RELAY_DOMAINS
    require_authentication: bool = True
    trusted_authserv_ids: Sequence[str] = ()


@dataclass(frozen=True)
class StoredMail:
    """What became of a mail: ``kind`` as in :class:`InboundMail`, or ``duplicate``."""

    kind: str
    message_id: str
    conversation_id: str | None = None
    reason: str | None = None


@dataclass
class MailInbox:
    """Turns raw mails into records and buyer messages."""

    workflow: Workflow
    session_factory: sessionmaker[Session]
    files: MailFiles
    rules: SenderRules = field(default_factory=SenderRules)
    clock: Clock = utcnow
    # Reads an order the store does not know from the marketplace (the Selling Partner API,
    # when configured) before the buyer's message is queued for drafting. Its failure never
    # stops the mail from being stored: the draft is then made as without it.
    fetch_order: Callable[[str], object] | None = None

    def store(self, raw: bytes, *, source: str) -> StoredMail:
        """Store ``raw`` once; a second delivery of the same mail returns ``duplicate``."""
        parsed = parse_mail(raw)
        with self.session_factory() as session:
            if repo.find_inbound(session, message_id=parsed.message_id) is not None:
                return StoredMail(kind="duplicate", message_id=parsed.message_id)
        raw_path = self.files.save_raw(raw)
        record: dict[str, Any] = {
            "message_id": parsed.message_id, "from_address": parsed.from_address,
            "subject": _clean(parsed.subject)[:998], "sent_at": parsed.sent_at,
            "received_at": self.clock(), "source": source[:200], "raw_path": raw_path,
            "raw_bytes": len(raw), "order_id": parsed.order_id,
            "references": [*parsed.references, parsed.message_id][-20:], "attachments": [],
        }
        if parsed.problem is not None:
            return self._record(record, kind="unparseable", reason=parsed.problem)
        if self._is_own_copy(parsed):
            return self._record(record, kind="own_copy", reason="a copy of our own reply")
        verdict = classify_sender(
            parsed, relay_domains=self.rules.relay_domains,
            require_authentication=self.rules.require_authentication,
            trusted_authserv_ids=self.rules.trusted_authserv_ids,
        )
        if not verdict.relay:
            log.info("mail %s is not from a marketplace relay: %s", parsed.message_id,
                     verdict.reason)
            return self._record(record, kind="not_from_amazon", reason=verdict.reason)
        record["attachments"] = [self.files.save_attachment(a) for a in parsed.attachments]
        return self._receive(parsed, verdict, record)

    def _receive(
        self, parsed: ParsedMail, verdict: SenderVerdict, record: dict[str, Any]
    ) -> StoredMail:
        assert parsed.from_address is not None
        if parsed.order_id and self.fetch_order is not None:
            self._fetch_order(parsed.order_id, message_id=parsed.message_id)
        conversation_id = self._thread_for(parsed, verdict)
        text = message_text(parsed, attachments=record["attachments"],
                            max_chars=self.workflow.config.max_message_chars)

        def record_mail(session: Session, message: Message) -> None:
            session.add(InboundMail(kind="buyer", reason=verdict.reason,
                                    conversation_id=conversation_id,
                                    buyer_message_id=message.id, **record))
            session.flush()  # a concurrent duplicate fails here, before anything commits

        try:
            self.workflow.receive_buyer_message(
                conversation_id=conversation_id, text=text, received_at=parsed.sent_at,
                acknowledge=False, on_stored=record_mail,
            )
        except IntegrityError:
            return StoredMail(kind="duplicate", message_id=parsed.message_id)
        return StoredMail(kind="buyer", message_id=parsed.message_id,
                          conversation_id=conversation_id, reason=verdict.reason)

    def _fetch_order(self, order_id: str, *, message_id: str) -> None:
        assert self.fetch_order is not None
        try:
            outcome = self.fetch_order(order_id)
        except Exception as exc:  # never lose or hold back the mail for the marketplace
            log.warning(
                "mail %s: order %s could not be read from the marketplace (%s: %s); "
                "drafting without it",
                message_id,
                order_id,
                type(exc).__name__,
                getattr(exc, "message", None) or exc,
            )
            return
        if outcome != "known":
            log.info("mail %s: order %s from the marketplace: %s", message_id, order_id, outcome)

    def _thread_for(self, parsed: ParsedMail, verdict: SenderVerdict) -> str:
        """The conversation of this relay address + order, created on first contact."""
        assert parsed.from_address is not None
        relay, order_key = parsed.from_address, parsed.order_id or ""
        for _ in range(2):
            with self.session_factory() as session:
                found = repo.find_thread(session, relay_address=relay, order_key=order_key)
                if found is not None:
                    return found.conversation_id
            try:
                return self._new_thread(parsed, verdict, relay=relay, order_key=order_key)
            except IntegrityError:
                continue  # another poller created it a moment ago: read it again
        raise RuntimeError("could not create the mail thread")  # pragma: no cover

    def _new_thread(
        self, parsed: ParsedMail, verdict: SenderVerdict, *, relay: str, order_key: str
    ) -> str:
        conversation_id = uuid.uuid4().hex
        now = self.clock()
        name = _clean(parsed.from_name or "")[:120].strip() or None
        with self.session_factory() as session, session.begin():
            conversations_repo.add_conversation(
                session, conversation_id=conversation_id,
                # Mail buyers never use the widget: nobody holds this token.
                token_hash=hash_buyer_token(secrets.token_urlsafe(32)), channel=MAIL_CHANNEL,
                buyer_name=name, locale=_MARKETPLACE_LOCALES.get(verdict.marketplace or ""),
                now=now,
            )
            session.add(MailThread(
                conversation_id=conversation_id, relay_address=relay, order_key=order_key,
                marketplace=verdict.marketplace, asin=parsed.asin,
                subject=_clean(parsed.subject)[:998], created_at=now,
            ))
            session.flush()
        return conversation_id

    def _record(self, record: dict[str, Any], *, kind: str, reason: str) -> StoredMail:
        try:
            with self.session_factory() as session, session.begin():
                session.add(InboundMail(kind=kind, reason=reason[:500], **record))
                if kind == "own_copy":
                    repo.mark_copy_seen(session, message_id=record["message_id"],
                                        now=self.clock())
                session.flush()
        except IntegrityError:
            return StoredMail(kind="duplicate", message_id=record["message_id"])
        return StoredMail(kind=kind, message_id=record["message_id"], reason=reason)

    def _is_own_copy(self, parsed: ParsedMail) -> bool:
        with self.session_factory() as session:
            return repo.find_outbound(session, message_id=parsed.message_id) is not None


def message_text(
    parsed: ParsedMail, *, attachments: Sequence[dict[str, Any]], max_chars: int
) -> str:
    """The buyer message as stored: their words, the order they wrote about (from the
    subject when the text does not name it) and a note of the attached files."""
    words = _clean(parsed.text).strip()
    notes = []
    if parsed.order_id and parsed.order_id not in words:
        notes.append(f"(Order {parsed.order_id})")
    if attachments:
        listed = ", ".join(f"{a['filename']} ({a['content_type']})" for a in attachments[:5])
        more = f" and {len(attachments) - 5} more" if len(attachments) > 5 else ""
        notes.append(f"[The buyer attached: {listed}{more}]")
    tail = "\n\n".join(notes)
    room = max_chars - len(tail) - 4
    if len(words) > room:
        words = words[: max(0, room - 40)].rstrip() + "\n[… the mail continues]"
    if not words:
        words = "(no text)"
    return f"{words}\n\n{tail}".strip() if tail else words


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
