"""Reading policy figures out of article text, for :mod:`bot.kb_editor.lint`.

Markdown → sentences → clauses (split at commas, semicolons and colons) → figures
(``1 year``, ``30 days``, ``up to 20%``, ``31 January``, ``$20``) and the policy
categories a clause names. Kept apart from the concept table so that table stays readable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.policy import PolicyRules

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30, "forty-five": 45,
    "sixty": 60, "ninety": 90,
}
NUMBER = rf"(?P<n>\d+|{'|'.join(sorted(_NUMBER_WORDS, key=len, reverse=True))})"
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"


def date_pattern(prefix: str) -> str:
    """A day of the year (``1 November``, ``November 1st``) with groups named by ``prefix``."""
    return (rf"(?:(?P<{prefix}d1>\d{{1,2}})(?:st|nd|rd|th)? (?P<{prefix}m1>{_MONTH})"
            rf"|(?P<{prefix}m2>{_MONTH}) (?P<{prefix}d2>\d{{1,2}})(?:st|nd|rd|th)?)\b")


@dataclass(frozen=True)
class Figure:
    """A figure as an article states it; ``text`` is how findings show it."""

    amount: Decimal
    unit: str  # year, month, week, day, business day, percent, usd, date
    text: str
    position: int  # where it starts in its clause (two phrasings can find one figure)
    qualifier: str = ""  # "up to" for a maximum
    month_day: str = ""  # MM-DD, for dates

    @classmethod
    def money(cls, amount: Decimal, position: int = 0) -> Figure:
        shown = f"{amount:.2f}".removesuffix(".00")
        return cls(amount, "usd", f"${shown}", position)

    def in_months(self) -> Decimal | None:
        return {"year": self.amount * 12, "month": self.amount}.get(self.unit)

    def spans_days(self, days: int) -> bool:
        """Whether this duration is ``days`` long (a month counts as 28 to 31 days)."""
        if self.unit == "month":
            return 28 * self.amount <= days <= 31 * self.amount
        return {"day": self.amount, "week": self.amount * 7}.get(self.unit) == days

    @property
    def key(self) -> tuple[str, object]:
        """Equal for figures that say the same thing (``1 year`` and ``12 months``)."""
        months = self.in_months()
        if months is not None:
            return ("months", months)
        if self.unit == "week":
            return ("day", self.amount * 7)
        return (self.unit, self.month_day or self.amount)


def _number(text: str) -> Decimal:
    return Decimal(_NUMBER_WORDS.get(text.lower(), 0) or text)


def duration_figure(match: re.Match[str]) -> Figure:
    amount = _number(match["n"])
    unit = match["unit"].lower()
    unit = "business day" if unit in ("business", "working") else unit
    plural = "" if amount == 1 else "s"
    return Figure(amount, unit, f"{amount} {unit}{plural}", match.start("n"))


def percent_figure(match: re.Match[str]) -> Figure:
    amount = Decimal(match["n"])
    qualifier = "up to" if match["upto"] else ""
    text = f"{qualifier} {amount:g}%".strip()
    return Figure(amount, "percent", text, match.start("n"), qualifier=qualifier)


def money_figure(match: re.Match[str]) -> Figure:
    return Figure.money(Decimal(match["n"]), match.start("n"))


def date_figure(prefix: str) -> Callable[[re.Match[str]], Figure | None]:
    """Read the date whose groups :func:`date_pattern` named with ``prefix``."""

    def read(match: re.Match[str]) -> Figure | None:
        day_text = match[f"{prefix}d1"] or match[f"{prefix}d2"]
        month_text = (match[f"{prefix}m1"] or match[f"{prefix}m2"]).lower().rstrip(".")
        month = next((i for i, name in enumerate(_MONTHS, 1) if name.startswith(month_text[:3])
                      and name.startswith(month_text)), None)
        day = int(day_text)
        if month is None or not 1 <= day <= 31:
            return None  # "Mayday", "Marching": not a date
        start = match.start(f"{prefix}d1") if match[f"{prefix}d1"] else match.start(f"{prefix}m2")
        return Figure(Decimal(month * 100 + day), "date", f"{day} {_MONTHS[month - 1].title()}",
                      start, month_day=f"{month:02d}-{day:02d}")

    return read


# --- sentences and clauses -----------------------------------------------------------------

_HEADING = re.compile(r"^#{1,6}\s+")
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__|\*|`")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'(\[$])")
_CLAUSE_BREAK = re.compile(r"[;:]|,(?!\d)")


def _plain(line: str) -> str:
    return " ".join(_EMPHASIS.sub("", _LINK.sub(r"\1", line)).split())


def _blocks(body: str) -> list[str]:
    """Paragraphs (wrapped lines joined), list items, headings and table rows."""
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for raw in body.split("\n"):
        line = raw.strip().lstrip(">").strip()
        if not line:
            flush()
        elif _HEADING.match(line) or line.startswith("|"):
            flush()
            blocks.append(_HEADING.sub("", line).replace("|", ";"))
        elif _LIST_ITEM.match(line):
            flush()
            current.append(_LIST_ITEM.sub("", line))
        else:
            current.append(line)
    flush()
    return blocks


def sentences(body: str) -> list[str]:
    """The sentences of a Markdown body, markup removed."""
    found: list[str] = []
    for block in _blocks(body):
        for sentence in _SENTENCE_END.split(_plain(block)):
            if sentence.strip(" ;"):
                found.append(sentence.strip(" ;"))
    return found


def clauses(sentence: str) -> list[str]:
    return [part.strip() for part in _CLAUSE_BREAK.split(sentence) if part.strip()]


# --- categories ----------------------------------------------------------------------------

# "except bedding", "other than knives": the clause is about everything else.
_NEGATED = re.compile(r"\b(?:except|excluding|other than|apart from|aside from|besides|unlike|"
                      r"not)(?: for)?(?: (?:our|the|your))?\s*$", re.IGNORECASE)
# A figure-less clause this short is an item of a list the next clause finishes
# ("Cookware, knives, bedding and all other items have a 1-year warranty").
_LIST_ITEM_WORDS = 4


def _word_forms(word: str) -> set[str]:
    """The word and its singular or plural (knives / knife, appliances / appliance)."""
    if word.endswith("ves"):
        forms = {word, word[:-3] + "fe", word[:-3] + "f"}
    elif word.endswith("ies"):
        forms = {word, word[:-3] + "y"}
    elif word.endswith("s") and not word.endswith("ss"):
        forms = {word, word[:-1]}
    else:
        forms = {word, word + "s"}
    # Short singulars ("top" of "tops") are everyday words more often than the category.
    return {form for form in forms if len(form) >= 4 or form == word}


def _spellings(phrase: str) -> set[str]:
    """British and American spelling (personalised / personalized)."""
    return {phrase, re.sub(r"is(e|ed|es|ing|ation)\b", r"iz\1", phrase),
            re.sub(r"iz(e|ed|es|ing|ation)\b", r"is\1", phrase)}


def category_patterns(rules: PolicyRules) -> dict[str, re.Pattern[str]]:
    """A pattern per policy category matching its key and label, singular or plural."""
    patterns: dict[str, re.Pattern[str]] = {}
    for key, rule in rules.categories.items():
        names = {key.replace("_", " "), *([rule.label.lower()] if rule.label else [])}
        spelled: set[str] = set()
        for name in names:
            *head, last = re.split(r"[ -]+", name)
            for form in _word_forms(last):
                spelled |= _spellings(" ".join([*head, form]))
        ordered = sorted(spelled, key=len, reverse=True)
        alternatives = "|".join(r"[ -]".join(map(re.escape, s.split())) for s in ordered)
        patterns[key] = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
    return patterns


def categories_in(clause: str, patterns: Mapping[str, re.Pattern[str]]) -> list[str]:
    """The categories a clause names, in order, leaving out "except …" mentions."""
    found: list[tuple[int, str]] = []
    for key, pattern in patterns.items():
        for match in pattern.finditer(clause):
            if not _NEGATED.search(clause[: match.start()]):
                found.append((match.start(), key))
                break
    return [key for _, key in sorted(found)]


def category_groups(
    found: Sequence[tuple[str, list[Figure]]], patterns: Mapping[str, re.Pattern[str]]
) -> list[tuple[str, list[Figure], list[str | None]]]:
    """Each clause with figures and the categories its figures are about (``[None]``: the
    default). Clauses before the sentence's first figure lend it their categories when they
    are list items, or when it names none itself; a clause with two different figures and
    any category is skipped, as which figure belongs to which category is a guess."""
    groups: list[tuple[str, list[Figure], list[str | None]]] = []
    before_first: list[str] = []
    for clause, figures in found:
        if not figures:
            if not groups:
                before_first.append(clause)
            continue
        names = categories_in(clause, patterns)
        if not groups:
            own = bool(names)
            for earlier in before_first:
                if len(earlier.split()) <= _LIST_ITEM_WORDS or not own:
                    names += [n for n in categories_in(earlier, patterns) if n not in names]
        if names and len({figure.key for figure in figures}) > 1:
            groups.append((clause, [], []))  # still counts as the first figure
            continue
        groups.append((clause, figures, list(names) or [None]))
    return groups
