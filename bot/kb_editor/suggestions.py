"""Turn an agent's edit of a draft into a proposed change to the article the draft cited.

Drafts quote their articles, so when an agent rewrites a quoted sentence before sending,
the article most likely says the wrong thing (or says it badly). The proposal is a list of
sentence-level changes — "replace this sentence with that", or "add this" — applied to the
article's newest revision when a lead accepts it, so an article edited in between still
takes the change where it applies.

Greetings, sign-offs, apologies and order-specific sentences (order or tracking numbers)
are about the one buyer, not the article, and are never proposed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.kb_editor.diff import change_ratio

# A reply is "substantially" edited when at least this share of its words changed.
SUBSTANTIAL_CHANGE = 0.15
MIN_SENTENCE_WORDS = 4

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_PERSONAL = re.compile(
    r"^(hi|hello|hey|dear|thanks|thank you|many thanks|best|kind regards|regards|cheers|"
    r"sorry|we are sorry|we're sorry|i am sorry|i'm sorry|apologies|we apologi[sz]e|"
    r"i hope|we hope|have a (great|nice|good))\b",
    re.IGNORECASE,
)
_ORDER_SPECIFIC = re.compile(r"\b\d{3}-\d{7}-\d{7}\b|\b[A-Z0-9]{10,}\b")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class TextChange:
    """Replace ``before`` (a sentence of the article) with ``after``; ``before`` None adds."""

    before: str | None
    after: str

    def as_json(self) -> dict[str, str | None]:
        return {"before": self.before, "after": self.after}

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> TextChange:
        return cls(before=data.get("before"), after=str(data.get("after") or ""))


@dataclass(frozen=True)
class AppliedChanges:
    """The body after applying the changes that still fit, and how many did."""

    body: str
    applied: int
    skipped: int


def split_sentences(text: str) -> list[str]:
    """Sentences of a reply or article, whitespace collapsed, Markdown list markers dropped."""
    out: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"^\s*([-*+]|\d+[.)]|#+)\s+", "", line)
        for part in _SENTENCE_END.split(line):
            sentence = " ".join(part.split())
            if sentence:
                out.append(sentence)
    return out


def _is_proposable(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    if len(words) < MIN_SENTENCE_WORDS:
        return False
    if _PERSONAL.match(sentence) or _ORDER_SPECIFIC.search(sentence):
        return False
    return not sentence.endswith(",")  # "Hi Maria," and sign-off lines


def _find_span(body: str, sentence: str) -> tuple[int, int] | None:
    """Where ``sentence`` occurs in ``body``, ignoring case, spacing and Markdown marks.

    The span covers emphasis marks around the words and the sentence's final mark, so a
    replacement leaves no dangling ``**`` or doubled full stop behind.
    """
    words = _WORD.findall(sentence)
    if not words:
        return None
    pattern = (
        r"[*_`~]*\b" + r"\W+".join(re.escape(w) for w in words) + r"\b[*_`~]*[.!?]?"
    )
    match = re.search(pattern, body, flags=re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def propose_changes(
    *, article_bodies: Sequence[str], draft_text: str, final_text: str
) -> list[list[TextChange]]:
    """Per cited article (in citation order), the changes the agent's edit implies.

    A rewritten sentence that the draft quoted from an article becomes a replacement in
    that article; new substantive sentences become an addition to the first article.
    Returns one (possibly empty) list per article; all empty when the edit is small.
    """
    proposals: list[list[TextChange]] = [[] for _ in article_bodies]
    if not article_bodies or change_ratio(draft_text, final_text) < SUBSTANTIAL_CHANGE:
        return proposals
    old, new = split_sentences(draft_text), split_sentences(final_text)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag not in ("replace", "insert"):
            continue  # an agent leaving a sentence out is about this buyer, not the article
        added = [s for s in new[j1:j2] if _is_proposable(s)]
        added = [s for s in added if not any(_find_span(b, s) for b in article_bodies)]
        if not added:
            continue
        after = " ".join(added)
        target = _replaced_sentence(article_bodies, old[i1:i2]) if tag == "replace" else None
        if target is None:
            proposals[0].append(TextChange(before=None, after=after))
        else:
            article_index, before = target
            proposals[article_index].append(TextChange(before=before, after=after))
    return proposals


def _replaced_sentence(
    article_bodies: Sequence[str], removed: Sequence[str]
) -> tuple[int, str] | None:
    for sentence in removed:
        if not _is_proposable(sentence):
            continue
        for index, body in enumerate(article_bodies):
            if _find_span(body, sentence) is not None:
                return index, sentence
    return None


def apply_changes(body: str, changes: Sequence[TextChange]) -> AppliedChanges:
    """Apply replacements where their sentence is still in ``body``; append additions."""
    applied = skipped = 0
    additions: list[str] = []
    for change in changes:
        if change.before is None:
            if _find_span(body, change.after) is None:
                additions.append(change.after)
                applied += 1
            else:
                skipped += 1  # the article already says it
            continue
        span = _find_span(body, change.before)
        if span is None:
            skipped += 1
            continue
        start, end = span
        body = body[:start] + change.after + body[end:]
        applied += 1
    if additions:
        body = body.rstrip() + "\n\n" + "\n\n".join(additions) + "\n"
    return AppliedChanges(body=body, applied=applied, skipped=skipped)
