"""A reply split once into greeting, body and sentences, shared by every check."""

from __future__ import annotations

import re
from dataclasses import dataclass

GREETING_RE = re.compile(
    r"\A\s*(?P<salutation>hi|hello|hey|dear|greetings|good\s+(?:morning|afternoon|evening)"
    # The greetings of the other marketplace languages (de, fr, es, it; ja below).
    r"|hallo|guten\s+(?:tag|morgen|abend)|liebe[rs]?|sehr\s+geehrte[rs]?|bonjour|bonsoir|"
    r"chère?|hola|buen(?:os|as)\s+(?:días|tardes|noches)|estimad[oa]|buongiorno|buonasera|"
    r"ciao|salve|gentile"
    r"|[^\s,!.?;:]{0,20}様|お客様)(?:\b|(?<=様))"
    r"(?P<rest>[^\n,!.?;:]{0,40})(?:[,!:]|(?=\s*\n)|\s*\Z)",
    re.IGNORECASE,
)
_SIGN_OFF_RE = re.compile(
    r"^\s*(?:best(?:\s+wishes|\s+regards)?|(?:kind|warm)(?:est)?\s+(?:regards|wishes)|regards"
    r"|many\s+thanks|thanks(?:\s+again)?|thank\s+you(?:\s+again)?|sincerely|yours(?:\s+sincerely"
    r"|\s+truly|\s+faithfully)?|cheers|all\s+the\s+best|with\s+thanks|take\s+care"
    r"|viele\s+grüße|mit\s+freundlichen\s+grüßen|beste\s+grüße|liebe\s+grüße|"
    r"(?:bien\s+)?cordialement|bien\s+à\s+vous|un\s+saludo|saludos(?:\s+cordiales)?|"
    r"cordiali\s+saluti|distinti\s+saluti|un\s+saluto|よろしくお願い(?:いた|致)します。?)"
    r"\s*[,!.]?\s*$",
    re.IGNORECASE,
)
# A signature under the sign-off is a name and perhaps a team or shop line.
_MAX_SIGNATURE_LINES = 3
_SENTENCE_END_RE = re.compile(
    r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])"  # after . ! ? before a capital or digit
    r"|\n\s*\n"  # a blank line ends a paragraph
    r"|\n(?=\s*[-*•]\s)"  # a list item
)
_LEADING_QUOTES_RE = re.compile(r"^[\s\"'(\[*•-]+")
_WORD_RE = re.compile(r"[a-z]+")
# Typographic quotes become plain ones, one character for one, so lengths do not change.
_PLAIN_QUOTES = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'))


@dataclass(frozen=True)
class Reply:
    """A draft reply and its parts. ``body`` excludes the greeting and the sign-off block.

    ``lower`` is ``text`` in lower case with the same length, so a span found in it quotes
    the same span of ``text``; ``words`` lets checks skip patterns whose keywords are absent.
    """

    text: str
    lower: str
    words: frozenset[str]
    greeting: str | None
    greeting_rest: str
    body: str
    sentences: tuple[str, ...]
    sentences_lower: tuple[str, ...]


def lowered(text: str) -> str:
    """``text`` in lower case, character for character (so spans line up with ``text``)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)


def parse_reply(text: str) -> Reply:
    """Split ``text`` into greeting, body and sentences (one pass, reused by all checks)."""
    for typographic, plain in _PLAIN_QUOTES:
        text = text.replace(typographic, plain)
    lower = lowered(text)
    greeting_match = GREETING_RE.match(text)
    start = greeting_match.end() if greeting_match else 0
    greeting = greeting_match.group(0).strip() if greeting_match else None
    rest = greeting_match.group("rest").strip() if greeting_match else ""
    body = _without_sign_off(text[start:]).strip()
    sentences = split_sentences(body)
    return Reply(
        text=text,
        lower=lower,
        words=frozenset(_WORD_RE.findall(lower)),
        greeting=greeting,
        greeting_rest=rest,
        body=body,
        sentences=sentences,
        sentences_lower=tuple(lowered(sentence) for sentence in sentences),
    )


def split_sentences(text: str) -> tuple[str, ...]:
    """Sentences, paragraphs and list items of ``text``, whitespace collapsed, without list
    bullets or opening quotes."""
    return tuple(
        cleaned
        for part in _SENTENCE_END_RE.split(text)
        if (cleaned := _LEADING_QUOTES_RE.sub("", " ".join(part.split())))
    )


def _without_sign_off(text: str) -> str:
    lines = text.splitlines()
    non_empty_after = 0
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _SIGN_OFF_RE.match(line):
            return "\n".join(lines[:index])
        if line.strip():
            non_empty_after += 1
            if non_empty_after > _MAX_SIGNATURE_LINES:
                break
    return text
