"""Numbers, money, percentages, durations and dates in text, normalised so that
"thirty days" equals "30 days", "$12.50" equals "12.50" and "12 December 2026" equals
"2026-12-12"."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from typing import Literal

from bot.checks.patterns import IDENTIFIER_RES, phone_spans
from bot.checks.reply import lowered

FigureKind = Literal["money", "percent", "duration", "date", "number"]
FactKey = tuple[Hashable, ...]

_UNIT_NAMES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TEN_NAMES = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_UNITS = {word: value for value, word in enumerate(_UNIT_NAMES)}
_TENS = {word: 10 * (index + 2) for index, word in enumerate(_TEN_NAMES)}
_NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS)
_NUMBER_WORD = (
    r"\b(?:(?:" + "|".join(_TENS) + r")(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")"
)
_DIGITS = r"\b\d[\d,]*(?:\.\d+)?"
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sept sep",
            "october oct",
            "november nov",
            "december dec",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"
_ORDINAL = r"(?:st|nd|rd|th)?"
_UNIT = r"(?:(?:business|working|calendar)\s+)?(?P<unit>minute|hour|day|week|month|year)s?\b"
_UNIT_WORDS = ("minute", "hour", "day", "week", "month", "year", "percent", "per cent")

# Every pattern runs on lower-cased text.
_MONEY_RE = re.compile(
    r"(?:us|ca|au)?[$£€]\s?(?P<a>\d[\d,]*(?:\.\d{1,2})?)"
    r"|\b(?P<b>\d[\d,]*(?:\.\d{1,2})?)\s?(?:dollars?|usd|eur|euros?|gbp|pounds?)\b"
)
_PERCENT = r"(?P<n>{number})\s?(?:%|percent\b|per\s+cent\b)"
_DURATION_RANGE = r"(?P<n1>{number}){separator}(?P<n2>{number})[\s-]+" + _UNIT
_DURATION = r"(?P<n>{number})[\s-]+" + _UNIT
_ISO_DATE_RE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_NUMERIC_DATE_RE = re.compile(r"\b(?P<p>\d{1,2})[/.](?P<q>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b")
_DAY_MONTH_RE = re.compile(
    r"\b(?P<d>\d{1,2})" + _ORDINAL + r"\s+(?:of\s+)?(?P<month>" + _MONTH + r")\b\.?"
    r"(?:,?\s+(?P<y>\d{4})\b)?"
)
_MONTH_DAY_RE = re.compile(
    r"\b(?P<month>" + _MONTH + r")\.?\s+(?P<d>\d{1,2})" + _ORDINAL + r"\b(?:,?\s+(?P<y>\d{4})\b)?"
)
_PLAIN_NUMBER_RE = re.compile(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?" + _ORDINAL + r"(?!\w)")
_ANY_DIGITS_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_LETTER_WORD_RE = re.compile(r"[a-z]+")
_LIST_MARKER_RE = re.compile(r"(?m)^\s*\d{1,2}[.)]\s")
# Codes that mix letters and digits (tracking numbers, ASINs, SKUs) are identifiers, not figures.
_CODE_RE = re.compile(
    r"\b(?![0-9]+(?:st|nd|rd|th)\b)(?=[a-z0-9]*[a-z])(?=[a-z0-9]*\d)[a-z0-9]{4,}\b"
)
_ORDINAL_SUFFIX_RE = re.compile(r"(?:st|nd|rd|th)$")
_NUMBER_SPLIT_RE = re.compile(r"[\s-]+")
_HAS_DIGIT_RE = re.compile(r"\d")


@dataclass(frozen=True)
class Figure:
    """A figure found in text. It is supported when any of its ``keys`` is a known fact."""

    kind: FigureKind
    text: str
    keys: tuple[FactKey, ...]
    start: int  # where the figure begins in the text it was found in


# A matched span in, its kind and fact keys out (None: not a figure after all).
_Built = tuple[FigureKind, tuple[FactKey, ...]] | None
_Builder = Callable[[re.Match[str]], _Built]


def number_value(written: str) -> float | None:
    """The value of "30", "1,299.00", "thirty" or "twenty-one"; None if not a number."""
    cleaned = _ORDINAL_SUFFIX_RE.sub("", written.strip().lower()).replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        pass
    total = 0
    for part in _NUMBER_SPLIT_RE.split(cleaned):
        if part in _TENS:
            total += _TENS[part]
        elif part in _UNITS:
            total += _UNITS[part]
        else:
            return None
    return float(total)


def _value_key(kind: str, value: float) -> FactKey:
    return (kind, round(value, 2))


def _date_keys(year: int | None, month: int, day: int) -> tuple[FactKey, ...]:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ()
    if year is None:
        return (("md", month, day),)
    return (("ymd", year, month, day), ("md-any-year", month, day))


def _year(written: str | None) -> int | None:
    if not written:
        return None
    year = int(written)
    return year + 2000 if year < 100 else year


def date_facts(value: date) -> tuple[FactKey, ...]:
    """Fact keys for a known date (e.g. a verdict's deadline)."""
    return (("ymd", value.year, value.month, value.day), ("md", value.month, value.day))


def _mask(match: re.Match[str]) -> _Built:
    return ("number", ())


def _iso_date(match: re.Match[str]) -> _Built:
    return ("date", _date_keys(int(match["y"]), int(match["m"]), int(match["d"])))


def _numeric_date(match: re.Match[str]) -> _Built:
    first, second, year = int(match["p"]), int(match["q"]), _year(match["y"])
    # 12/11/2026 is 12 November or December 11 depending on the writer: accept both readings.
    keys = _date_keys(year, second, first) + _date_keys(year, first, second)
    return ("date", keys)


def _named_date(match: re.Match[str]) -> _Built:
    month = _MONTHS[match["month"]]
    return ("date", _date_keys(_year(match["y"]), month, int(match["d"])))


def _money(match: re.Match[str]) -> _Built:
    value = number_value(match["a"] or match["b"])
    return ("money", (_value_key("money", value),)) if value is not None else None


def _percent(match: re.Match[str]) -> _Built:
    value = number_value(match["n"])
    return ("percent", (_value_key("percent", value),)) if value is not None else None


def _duration_key(written: str, unit: str) -> FactKey | None:
    value = number_value(written)
    return ("duration", round(value, 2), unit) if value is not None else None


def _duration_range(match: re.Match[str]) -> _Built:
    unit = match["unit"]
    keys = tuple(
        key
        for key in (_duration_key(match["n1"], unit), _duration_key(match["n2"], unit))
        if key is not None
    )
    return ("duration", keys) if len(keys) == 2 else None


def _duration(match: re.Match[str]) -> _Built:
    key = _duration_key(match["n"], match["unit"])
    return ("duration", (key,)) if key is not None else None


def _plain(match: re.Match[str]) -> _Built:
    value = number_value(match.group(0))
    return ("number", (_value_key("number", value),)) if value is not None else None


def _readings(number: str, separator: str) -> tuple[tuple[re.Pattern[str], _Builder], ...]:
    return (
        (re.compile(_PERCENT.format(number=number)), _percent),
        (re.compile(_DURATION_RANGE.format(number=number, separator=separator)), _duration_range),
        (re.compile(_DURATION.format(number=number)), _duration),
    )


# Identifiers are blanked first so their digits are never read as figures; then the most
# specific readings (dates, money) go before the general ones (durations, plain numbers).
_DIGIT_READINGS: tuple[tuple[re.Pattern[str], _Builder], ...] = (
    *((pattern, _mask) for pattern in IDENTIFIER_RES),
    (_CODE_RE, _mask),
    (_LIST_MARKER_RE, _mask),
    (_ISO_DATE_RE, _iso_date),
    (_NUMERIC_DATE_RE, _numeric_date),
    (_DAY_MONTH_RE, _named_date),
    (_MONTH_DAY_RE, _named_date),
    (_MONEY_RE, _money),
    *_readings(_DIGITS, r"\s*(?:-|–|to|or)\s*"),
)
# Spelled-out numbers only count with a unit ("thirty days", "ten percent").
# "twenty-one days" is one number: spelled-out ranges need "to" or "or".
_WORD_READINGS = _readings(_NUMBER_WORD, r"\s+(?:to|or)\s+")
_PLAIN_READING: tuple[re.Pattern[str], _Builder] = (_PLAIN_NUMBER_RE, _plain)


@lru_cache(maxsize=1024)
def extract_figures(text: str) -> tuple[Figure, ...]:
    """Every figure in ``text``, most specific reading first; each span is read once.

    Cached: drafting checks the same body for grounding, deadlines and next steps, and
    cited chunks recur from draft to draft.
    """
    lower = lowered(text)
    has_digit = bool(_HAS_DIGIT_RE.search(lower))
    has_number_word = any(unit in lower for unit in _UNIT_WORDS) and not _NUMBER_WORDS.isdisjoint(
        _LETTER_WORD_RE.findall(lower)
    )
    readings: list[tuple[re.Pattern[str], _Builder]] = []
    if has_digit:
        readings.extend(_DIGIT_READINGS)
    if has_number_word:
        readings.extend(_WORD_READINGS)
    if has_digit:
        readings.append(_PLAIN_READING)
    if not readings:
        return ()
    figures: list[Figure] = []

    def blank(match: re.Match[str], build: _Builder) -> str:
        # "may" is a month only when written "May": "you may 2..." is no date.
        month_at = match.start("month") if "month" in match.re.groupindex else -1
        if month_at >= 0 and match["month"] == "may" and text[month_at] != "M":
            return match.group(0)
        built = build(match)
        if built is None:
            return match.group(0)
        kind, keys = built
        if keys:
            written = text[match.start() : match.end()]
            start = match.start() + len(written) - len(written.lstrip())
            figures.append(Figure(kind=kind, text=written.strip(), keys=keys, start=start))
        return " " * len(match.group(0))

    masked = lower
    for start, end, _ in phone_spans(text):
        masked = masked[:start] + " " * (end - start) + masked[end:]
    for pattern, build in readings:
        masked = pattern.sub(partial(blank, build=build), masked)
    return tuple(figures)


@lru_cache(maxsize=4096)
def _facts_of(text: str) -> frozenset[FactKey]:
    # Cited chunks and verdict texts recur from draft to draft: read each once.
    facts: set[FactKey] = set()
    for figure in extract_figures(text):
        for key in figure.keys:
            facts.update(_facts_from_key(key))
    # A bare number in a reply ("the 2 mugs") may be any number the sources contain,
    # including parts of dates and ids; money, percentages and durations must match in kind.
    lower = lowered(text)
    for match in _ANY_DIGITS_RE.finditer(lower):
        value = number_value(match.group(0))
        if value is not None:
            facts.add(_value_key("number", value))
    for word in _NUMBER_WORDS.intersection(_LETTER_WORD_RE.findall(lower)):
        facts.add(_value_key("number", float(_UNITS.get(word, _TENS.get(word, 0)))))
    return frozenset(facts)


def _facts_from_key(key: FactKey) -> tuple[FactKey, ...]:
    kind = key[0]
    if kind == "ymd":
        # A dated fact also supports the same day written without a year.
        return (key, ("md", key[2], key[3]))
    if kind == "md":
        # A fact without a year supports that day in any year.
        return (key, ("md-any-year", key[1], key[2]))
    if kind == "md-any-year":
        return ()
    if kind == "duration":
        return (key, ("number", key[1]))
    if kind == "number":
        # "12.50" in an article supports "$12.50" in the reply.
        return (key, ("money", key[1]))
    return (key, ("number", key[1]))


def known_facts(texts: Iterable[str]) -> set[FactKey]:
    """Every fact key ``texts`` support: their figures, and every number they contain."""
    facts: set[FactKey] = set()
    for text in texts:
        if text:
            facts.update(_facts_of(text))
    return facts


def is_supported(figure: Figure, facts: set[FactKey]) -> bool:
    """Whether any reading of ``figure`` is among ``facts``."""
    return any(key in facts for key in figure.keys)
