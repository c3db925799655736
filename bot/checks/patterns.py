"""Finders for links, e-mail addresses, phone numbers, order ids and postal addresses.

Compliance and privacy both need them, with different rules about which finds are allowed.
Patterns run on lower-cased text without IGNORECASE (several times faster in ``re``); what
they found is quoted from the original text at the same span.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from bot.checks.reply import lowered

_URL_TAIL = r"[^\s<>\"'()\[\]{}]*"
_TRAILING_PUNCTUATION = ".,;:!?"
_SCHEME_URL_RE = re.compile(r"\b(?:https?|ftp)://" + _URL_TAIL)
_WWW_URL_RE = re.compile(r"(?<![\w.@/-])www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+" + _URL_TAIL)
# Bare domains only count with a top-level domain that is not also a common English word
# ("it", "is", "me", "to", "in" ...), so "received it.It" or "e.g." is never a link.
_BARE_TLDS = (
    "com|net|org|edu|gov|io|co|uk|de|fr|es|nl|se|ch|eu|ca|au|nz|ie|pl|jp|cn|ru|br|mx"
    "|info|biz|shop|store|online|site|website|xyz|app|dev|ly|tv|gg|link|club"
)
_BARE_DOMAIN_RE = re.compile(
    r"(?<![\w@.\-/])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _BARE_TLDS + r"))"
    r"(?![\w-]|\.[a-z0-9])(?:/" + _URL_TAIL + r")?"
)
_MAYBE_LINK_RE = re.compile(r"[a-z0-9]\.[a-z]{2}|://")

EMAIL_RE = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b"
    r"|(?<![\w.+-])[\w.+-]+\s*[\[(]\s*at\s*[\])]\s*[a-z0-9-]+\s*(?:[\[(]\s*dot\s*[\])]|\.)\s*[a-z]{2,}\b"
)
_MAYBE_EMAIL_RE = re.compile(r"@|[\[(]\s*at\s*[\])]")

# Phone numbers must not be glued to other digit groups: that is how order ids
# (123-1234567-1234567), tracking numbers and dates look.
_NOT_AFTER_DIGITS = r"(?<![\w+-])(?<!\d[ .])(?<!\d\s\s)"
_NOT_BEFORE_DIGITS = r"(?![\w-])(?![ .]\d)"
_PHONE_RES = (
    # international: +44 20 7946 0958, +1 (800) 555-0199, +49-30-1234567
    re.compile(_NOT_AFTER_DIGITS + r"\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,6}" + _NOT_BEFORE_DIGITS),
    # North American: (800) 555-0199, 800-555-0199, 1-800-555-0199, 800.555.0199
    re.compile(
        _NOT_AFTER_DIGITS
        + r"(?:1[\s.-])?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
        + _NOT_BEFORE_DIGITS
    ),
    # national with a trunk 0: 020 7946 0958, 0800 123 4567, 07700 900123, 030-1234567
    re.compile(_NOT_AFTER_DIGITS + r"0\d{2,4}[\s-]\d{3,4}(?:[\s-]?\d{3,4})?" + _NOT_BEFORE_DIGITS),
    # bare digits right after a phone word: "call 8005550199", "phone: 07700900123"
    re.compile(
        r"\b(?:call|phone|telephone|tel|mobile|cell|ring|text|whatsapp|fax|dial)\b\.?:?\s*"
        r"(?:us\s+|them\s+|me\s+)?(?:on\s+|at\s+)?(\+?\d[\d\s().-]{5,}\d)"
    ),
)
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15
_NANP_DIGITS = 10

ORDER_ID_RE = re.compile(r"(?<![\w-])\d{3}-\d{7}-\d{7}(?![\w-])")
# The documented shape of an order id ("it has the form 123-1234567-1234567") is nobody's order.
EXAMPLE_ORDER_IDS = frozenset({"123-1234567-1234567"})

_STREET_SUFFIXES = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl"
    "|Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Row|Mews"
)
# Case matters here (street names are capitalised), so these run on the original text.
_ADDRESS_RES = (
    re.compile(
        r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\.?\s+){1,4}(?:" + _STREET_SUFFIXES + r")\b\.?"
    ),
    re.compile(r"\b[Pp]\.?\s?[Oo]\.?\s+(?:[Bb]ox|BOX)\s+\d+\b"),
    re.compile(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"),  # US state + ZIP: "CA 94105"
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b"),  # UK postcode: "SW1A 1AA"
)

# Spans that are identifiers or contact details, never figures a reply states (lower case).
IDENTIFIER_RES = (_SCHEME_URL_RE, _WWW_URL_RE, EMAIL_RE, ORDER_ID_RE, _BARE_DOMAIN_RE)

_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")
_PHONE_SEPARATORS_RE = re.compile(r"[\s().+-]+")
_DIGITS_RE = re.compile(r"\D+")


def find_links(text: str) -> list[tuple[str, str]]:
    """Every link or bare domain in ``text`` as (what was written, host)."""
    lower = lowered(text)
    if not _MAYBE_LINK_RE.search(lower):
        return []
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_SCHEME_URL_RE, _WWW_URL_RE, _BARE_DOMAIN_RE):
        for match in pattern.finditer(lower):
            if any(start <= match.start() < end for start, end in taken):
                continue
            taken.append(match.span())
            written = text[match.start() : match.end()].rstrip(_TRAILING_PUNCTUATION)
            found.append((written, _host_of(match.group(0).rstrip(_TRAILING_PUNCTUATION))))
    return found


def _host_of(link: str) -> str:
    with_scheme = link if "://" in link else f"//{link}"
    host = urlsplit(with_scheme).hostname or ""
    return host.removeprefix("www.")


def host_allowed(host: str, allowed_domains: Iterable[str]) -> bool:
    """Whether ``host`` is an allowed domain or one of its subdomains."""
    host = host.lower()
    for domain in allowed_domains:
        domain = domain.strip().lower().removeprefix("www.")
        if domain and (host == domain or host.endswith(f".{domain}")):
            return True
    return False


def find_emails(text: str) -> list[str]:
    """Every e-mail address in ``text`` (also "name [at] example.com" spellings)."""
    lower = lowered(text)
    if not _MAYBE_EMAIL_RE.search(lower):
        return []
    return [text[match.start() : match.end()] for match in EMAIL_RE.finditer(lower)]


def find_phones(text: str) -> list[str]:
    """Every phone number in ``text``, as written. Order ids, dates, prices and tracking
    numbers do not count."""
    return [number for _, _, number in phone_spans(text)]


def phone_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, number as written) of every phone number in ``text``."""
    if len(_DIGITS_RE.sub("", text)) < _MIN_PHONE_DIGITS:
        return []
    lower = lowered(text)
    found: list[tuple[int, int, str]] = []
    for pattern in _PHONE_RES:
        for match in pattern.finditer(lower):
            group = 1 if pattern.groups else 0
            start, end = match.span(group)
            if any(start < taken_end and taken_start < end for taken_start, taken_end, _ in found):
                continue
            number = text[start:end].strip()
            if _MIN_PHONE_DIGITS <= len(digits_of(number)) <= _MAX_PHONE_DIGITS:
                found.append((start, end, number))
    return found


def digits_of(text: str) -> str:
    """Only the digits of ``text``."""
    return _DIGITS_RE.sub("", text)


def phone_allowed(number: str, allowed_numbers: Iterable[str]) -> bool:
    """Whether ``number`` is one of ``allowed_numbers``, whatever its formatting; a leading
    country code may be present on one side only."""
    digits = digits_of(number)
    for allowed in allowed_numbers:
        allowed_digits = digits_of(allowed)
        if not allowed_digits:
            continue
        if digits == allowed_digits:
            return True
        shorter, longer = sorted((digits, allowed_digits), key=len)
        if len(shorter) >= _NANP_DIGITS and longer.endswith(shorter):
            return True
    return False


def phone_in_texts(number: str, texts: Iterable[str]) -> bool:
    """Whether the digits of ``number`` were written (in any format) in one of ``texts``."""
    digits = digits_of(number)
    return any(digits in _PHONE_SEPARATORS_RE.sub("", text) for text in texts)


def find_order_ids(text: str) -> list[str]:
    """Every marketplace order id (3-7-7 digits) in ``text``, except the documented example."""
    return [order_id for order_id in ORDER_ID_RE.findall(text) if order_id not in EXAMPLE_ORDER_IDS]


def find_addresses(text: str) -> list[str]:
    """Postal-address fragments: street lines, PO boxes, US state + ZIP, UK postcodes."""
    return [match.group(0).strip() for pattern in _ADDRESS_RES for match in pattern.finditer(text)]


def normalised_alnum(text: str) -> str:
    """Lower-case letters and digits only, to compare spans whatever their spacing."""
    return _NON_ALNUM_RE.sub("", text.lower())
