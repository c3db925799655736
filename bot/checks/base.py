"""The shape of one reply check: a stable id, a severity and a function that judges."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.checks.context import CheckContext
from bot.checks.reply import Reply
from bot.facts import Severity

# A check returns None when the reply passes, else a message an agent can act on.
CheckFunction = Callable[[Reply, CheckContext], str | None]


@dataclass(frozen=True)
class Check:
    """One registered check. ``id`` is stable: evals and stored drafts refer to it."""

    id: str
    severity: Severity
    description: str
    evaluate: CheckFunction
    applies_to_handoff: bool = True


def first_items(items: list[str], *, limit: int = 3) -> str:
    """Quote the first few offending items for a message, noting how many were left out."""
    unique = list(dict.fromkeys(items))
    shown = ", ".join(f'"{item}"' for item in unique[:limit])
    more = len(unique) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def find_in(reply: Reply, pattern: re.Pattern[str]) -> list[str]:
    """What ``pattern`` (written for lower-case text) finds in the reply, quoted as written."""
    return [reply.text[match.start() : match.end()] for match in pattern.finditer(reply.lower)]


def mentions_any(reply: Reply, words: frozenset[str]) -> bool:
    """Whether the reply contains one of ``words`` (lower case): a cheap gate before a regex."""
    return not reply.words.isdisjoint(words)


def word_set(spaced: str) -> frozenset[str]:
    """A set of lower-case words written as one space-separated string."""
    return frozenset(spaced.split())


_NEGATION_RE = re.compile(r"\b(?:not|no|never|cannot|unable|nor|without|neither)\b|n't\b")
_CLAUSE_BREAK_RE = re.compile(r"[,;:]|\bbut\b|\bhowever\b|\band\s+(?:we|you|i)\b")
_NEGATION_WINDOW = 40


def is_negated(sentence_lower: str, start: int, end: int) -> bool:
    """Whether the phrase at ``start:end`` of a lower-cased sentence is negated: "not" (or
    "never", "can't" ...) in the phrase or earlier in its clause ("we never ask you to")."""
    before = sentence_lower[max(0, start - _NEGATION_WINDOW) : start]
    clause = _CLAUSE_BREAK_RE.split(before)[-1]
    return bool(_NEGATION_RE.search(clause) or _NEGATION_RE.search(sentence_lower, start, end))
