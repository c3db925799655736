"""Read one e-mail (standard library ``email``, policy ``default``) into what the inbox needs.

Nothing here touches the database: :func:`parse_mail` never raises on bad input, it returns
a :class:`ParsedMail` whose ``problem`` says why the mail cannot be used, so the caller can
keep it raw for a person.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from mailparser_reply.parser import EmailMessage as ReplyText

from bot.mail.html_text import html_to_text

ORDER_ID = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")
_ASIN = re.compile(r"\bASIN\b\s*[:#]?\s*\[?\s*([A-Z0-9]{10})\b")
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
# The relay wraps the buyer's words in marker lines ("---- Begin message ----").
_BEGIN = re.compile(
    r"^-{3,}\s*(?:begin message|nachricht beginnen|début du message|inicio del mensaje|"
    r"inizio messaggio|begin bericht|メッセージ開始)\s*-{3,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_END = re.compile(
    r"^-{3,}\s*(?:end message|nachricht beenden|fin du message|fin del mensaje|"
    r"fine messaggio|einde bericht|メッセージ終了)\s*-{3,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Languages the reply parser knows headers ("On … wrote:") and signatures for.
_REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "ja"]
_NAME_SUFFIX = re.compile(r"\s*[-–]\s*(amazon( marketplace)?|marketplace)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class MailAttachment:
    """A file the buyer attached (never sent to an LLM; stored for agents)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class AuthResult:
    """One method of an ``Authentication-Results`` header (RFC 8601)."""

    authserv_id: str
    # 0 for the topmost Authentication-Results header (added by the last server).
    position: int
    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedMail:
    """What the inbox keeps of a mail; ``problem`` is set when it cannot be used."""

    message_id: str
    from_address: str | None = None
    from_name: str | None = None
    to_addresses: tuple[str, ...] = ()
    subject: str = ""
    sent_at: datetime | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    text: str = ""
    order_id: str | None = None
    asin: str | None = None
    attachments: tuple[MailAttachment, ...] = ()
    auth_results: tuple[AuthResult, ...] = ()
    problem: str | None = None

    @property
    def from_domain(self) -> str | None:
        if not self.from_address or "@" not in self.from_address:
            return None
        return self.from_address.rsplit("@", 1)[1].lower()


def synthetic_message_id(raw: bytes) -> str:
    """A stable id for a mail without a usable ``Message-ID`` (same bytes, same id)."""
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.draftdesk.invalid>"


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse raw RFC 5322 bytes; never raises (a broken mail comes back with ``problem``)."""
    message_id = synthetic_message_id(raw)
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        message_id = _message_id(message) or message_id
        return _read(message, message_id=message_id)
    except Exception as exc:  # any library failure on hostile input: keep the mail raw
        return ParsedMail(message_id=message_id,
                          problem=f"the mail could not be read ({type(exc).__name__})")


def _read(message: EmailMessage, *, message_id: str) -> ParsedMail:
    from_name, from_address = _sender(message)
    subject = _header(message, "subject")
    full_text, body_part = _body_text(message)
    attachments = tuple(_attachments(message, body_part=body_part))
    buyer_text = buyer_words(full_text)
    order_id = _first(ORDER_ID, subject) or _first(ORDER_ID, full_text)
    asin_match = _ASIN.search(full_text)
    problem = None
    if not from_address:
        problem = "the mail has no readable sender address"
    elif not buyer_text and not attachments:
        problem = "the mail has no readable text"
    return ParsedMail(
        message_id=message_id,
        from_address=from_address,
        from_name=from_name,
        to_addresses=tuple(a for _, a in getaddresses([_header(message, "to")]) if a),
        subject=subject,
        sent_at=_date(message),
        in_reply_to=_first(_MESSAGE_ID, _header(message, "in-reply-to")),
        references=tuple(_MESSAGE_ID.findall(_header(message, "references"))),
        text=buyer_text,
        order_id=order_id,
        asin=asin_match.group(1) if asin_match else None,
        attachments=attachments,
        auth_results=tuple(_auth_results(message)),
        problem=problem,
    )


def buyer_words(body: str) -> str:
    """The buyer's own words: inside the relay's markers, without quoted history or a
    signature (mail-parser-reply, with hyphen lists kept)."""
    body = body.replace("\r\n", "\n")
    begin = _BEGIN.search(body)
    if begin:
        end = _END.search(body, begin.end())
        body = body[begin.end(): end.start() if end else len(body)]
    if not body.strip():
        return ""
    parsed = ReplyText(text=body, languages=list(_REPLY_LANGUAGES), keep_hyphen_lists=True).read()
    words = parsed.replies[0].body if parsed.replies else ""
    if not words.strip():
        # Only quoted text or only a signature: better the whole body than nothing.
        words = "\n".join(line.lstrip("> ") for line in body.splitlines())
    # A cut at a separator line ("---------- Forwarded message ----------") leaves it last.
    words = re.sub(r"\n\s*-{5,}[^\n]*-{5,}\s*$", "", words.strip())
    return re.sub(r"\n{3,}", "\n\n", words).strip()


def _message_id(message: EmailMessage) -> str | None:
    found = _first(_MESSAGE_ID, _header(message, "message-id"))
    return found[:900] if found else None


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse reads as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str | None, str | None]:
    name, address = parseaddr(_header(message, "from"))
    if not address or "@" not in address or " " in address:
        return None, None
    cleaned = _NAME_SUFFIX.sub("", name).strip() or None
    return cleaned, address.lower()


def _date(message: EmailMessage) -> datetime | None:
    text = _header(message, "date")
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _decoded_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, ValueError, AssertionError, UnicodeError):
        pass
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace") \
            if _known_charset(part.get_content_charset()) else payload.decode("utf-8", "replace")
    return ""


def _known_charset(name: str | None) -> bool:
    if not name:
        return True
    try:
        "".encode(name)
    except LookupError:
        return False
    return True


def _body_text(message: EmailMessage) -> tuple[str, Message | None]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        if message.get_content_maintype() == "text":
            part = message
        else:
            return "", None
    text = _decoded_text(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.strip(), part


def _attachments(message: EmailMessage, *, body_part: Message | None) -> list[MailAttachment]:
    found: list[MailAttachment] = []
    for part in message.walk():
        if part is body_part or part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if part.get_content_maintype() == "text" and not filename and disposition != "attachment":
            continue  # the other alternative of the body
        if part.get_content_type() == "message/rfc822":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        found.append(MailAttachment(
            filename=(filename or f"attachment-{len(found) + 1}")[:200],
            content_type=part.get_content_type(),
            data=payload,
        ))
    return found


def _auth_results(message: EmailMessage) -> list[AuthResult]:
    results = []
    headers = message.get_all("authentication-results", []) or []
    for position, value in enumerate(headers):
        clauses = [c.strip() for c in " ".join(str(value).split()).split(";")]
        if not clauses:
            continue
        authserv_id = clauses[0].split()[0].lower() if clauses[0] else ""
        for clause in clauses[1:]:
            method = re.match(r"([a-z0-9_-]+)\s*=\s*([a-z]+)", clause, re.IGNORECASE)
            if not method:
                continue
            props = {
                key.lower(): val.strip("<>").lower()
                for key, val in re.findall(r"([a-z]+\.[a-z-]+)\s*=\s*(\S+)", clause, re.I)
            }
            results.append(AuthResult(
                authserv_id=authserv_id, position=position, method=method.group(1).lower(),
                result=method.group(2).lower(), properties=props,
            ))
    return results


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text or "")
    if not found:
        return None
    return found.group(1) if pattern.groups else found.group(0)
