"""Masking buyer PII in text shown or written outside the conversation itself: log lines,
KB suggestions and gap lists shown to leads, and ``eval drafts`` outcome files.

What is masked, in this order (each kind replaced by a label such as ``[EMAIL]``):

* payment fragments — card numbers (13–19 digits passing the Luhn check, spaced or not),
  "card ending in 1234", IBANs;
* e-mail addresses, phone numbers, postal addresses and order ids — the same finders the
  reply checks use (:mod:`bot.checks.patterns`), plus German-style street names
  ("Hauptstraße 5"), continental postcodes with their town ("10115 Berlin") and the buyer
  name whenever it is known;
* names a buyer introduces ("my name is Maria Lopez", "this is Tom") or signs with
  ("Thanks, Maria", "Best regards,\\nMaria Lopez").

Why patterns and not Presidio or scrubadub: Presidio's recogniser needs a spaCy language
model that is downloaded at install or run time (``en_core_web_lg``, ~500 MB; draftdesk
downloads nothing at run time and ships no such package), and scrubadub's name detection
needs the same or textblob corpora. The structured PII of buyer messages (addresses,
e-mails, phones, cards, order ids) is what patterns find reliably; free-standing names
without a cue are the known gap — the buyer's own name is known from the conversation
and is masked by value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from bot.checks.patterns import find_addresses, find_emails, find_order_ids, find_phones

# Not inside a word: a hex id ("7ff3741…a2f3") can hold 13+ digits that pass Luhn.
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_ORDER_ID_SHAPE = re.compile(r"\d{3}[ -]\d{7}[ -]\d{7}")
_CARD_ENDING = re.compile(
    r"\b(?:card|visa|mastercard|amex|account)\b[^.\n]{0,20}?\b(?:ending|ends)\s+(?:in|with)\s+"
    r"\d{4}\b",
    re.I,
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_GERMAN_STREET = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|weg|allee|platz|gasse|ring)\s+\d{1,4}[a-z]?\b"
)
# Continental postcodes with their town: "10115 Berlin", "75001 Paris", "28013 Madrid".
_POSTCODE_TOWN = re.compile(r"\b\d{5}[ \t]+[A-ZÄÖÜÀ-Ý][a-zäöüßà-ÿ-]+\b")
_NAME = r"[A-ZÀ-Ý][a-zà-ÿ'-]+(?:[ \t]+[A-ZÀ-Ý][a-zà-ÿ'-]+)?"
_INTRODUCED_NAME = re.compile(
    r"\b(?:[Mm]y name is|[Mm]y name's|[Tt]his is|[Ii] am|[Ii]'m|[Nn]ame:|Hi|Hello|Hey|Dear"
    r"|Hallo|Liebe|Lieber|Bonjour|Hola|Ciao)[ \t]+(" + _NAME + r")"
)
_SIGNED_NAME = re.compile(
    r"(?:\b(?:[Tt]hanks|[Tt]hank you|[Rr]egards|[Cc]heers|[Bb]est|[Ss]incerely|[Gg]reetings"
    r"|[Vv]ielen [Dd]ank|[Gg]rüße|[Mm]erci|[Gg]racias|[Gg]razie)[ \t]*[,!.]?[ \t]*\n?[ \t]*)"
    r"(" + _NAME + r")[ \t]*[.!]?[ \t]*$"
)
# Words that follow "I am"/"this is" without being a name.
_NOT_NAMES = frozenset(
    {
        "Very",
        "So",
        "Not",
        "Still",
        "Writing",
        "Waiting",
        "Trying",
        "Sorry",
        "Happy",
        "Unhappy",
        "Disappointed",
        "Unable",
        "About",
        "Regarding",
        "Looking",
        "Asking",
        "The",
        "A",
        "An",
        "It",
        "Your",
        "My",
        "Going",
        "Getting",
        "Really",
        "Just",
        "Also",
        "Please",
        "Again",
        "There",
        "Team",
        "All",
        "Everyone",
        "Sir",
        "Madam",
        "Customer",
        "Support",
        "Amazon",
    }
)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_cards(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if _ORDER_ID_SHAPE.fullmatch(match.group(0).strip()):
            return match.group(0)  # 17 digits in 3-7-7 may pass Luhn: an order id, not a card
        digits = re.sub(r"\D", "", match.group(0))
        return "[CARD]" if 13 <= len(digits) <= 19 and _luhn_valid(digits) else match.group(0)

    return _CARD.sub(replace, text)


def _mask_all(text: str, found: Iterable[str], label: str) -> str:
    for value in sorted(set(found), key=len, reverse=True):
        if value:
            text = text.replace(value, label)
    return text


def _mask_names(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.split()[0] in _NOT_NAMES:
            return match.group(0)
        start, end = match.span(1)
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + "[NAME]" + whole[end - offset :]

    text = _INTRODUCED_NAME.sub(replace, text)
    return _SIGNED_NAME.sub(replace, text)


def redact_pii(text: str, *, known_names: Iterable[str] = (), order_ids: bool = True) -> str:
    """``text`` with buyer PII replaced by labels ([EMAIL], [PHONE], [ADDRESS], [ORDER],
    [CARD], [IBAN], [NAME]); text without PII comes back unchanged. ``order_ids=False``
    keeps order ids (evaluation files, whose orders are our own synthetic demo orders)."""
    if not text:
        return text
    text = _CARD_ENDING.sub("[CARD]", text)
    text = _mask_cards(text)
    text = _IBAN.sub("[IBAN]", text)
    text = _mask_all(text, find_emails(text), "[EMAIL]")
    if order_ids:
        text = _mask_all(text, find_order_ids(text), "[ORDER]")
    text = _mask_all(text, find_phones(text), "[PHONE]")
    text = _GERMAN_STREET.sub("[ADDRESS]", text)
    text = _POSTCODE_TOWN.sub("[ADDRESS]", text)
    text = _mask_all(text, find_addresses(text), "[ADDRESS]")
    # The whole name first, then each part alone ("Lopez" in "the Lopez order").
    parts = {part for name in known_names for part in (name.strip(), *name.split())}
    for part in sorted(parts, key=len, reverse=True):
        if len(part) > 1:
            text = re.sub(rf"\b{re.escape(part)}\b", "[NAME]", text)
    return _mask_names(text)


def _redact_record(record: logging.LogRecord) -> None:
    """Mask PII in the record's final message (arguments merged first, so a value passed as
    ``%s`` is masked too) and in its formatted traceback."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call: leave it to logging's own error
        return
    redacted = redact_pii(message)
    if redacted != message:
        record.msg, record.args = redacted, None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact_pii(logging.Formatter().formatException(record.exc_info))


def install_log_redaction() -> None:
    """Mask PII in every log record this process creates, whichever logger or handler
    writes it (a record factory, unlike a filter, also covers handlers added later, such as
    uvicorn's). Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_pii", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _redact_record(record)
        return record

    factory.redacts_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
