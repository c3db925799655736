"""How much an agent changed a draft before sending it.

* **unchanged** — the text sent is the draft's text (surrounding whitespace aside);
* **lightly edited** — ``difflib.SequenceMatcher`` ratio of the two texts >= 0.85, i.e.
  roughly up to one character in seven changed: a name, a date, a sentence trimmed;
* **rewritten** — anything below that: the agent wrote most of the reply themselves.

The 0.85 bar was chosen on the demo drafts: swapping one sentence of a typical 4-sentence
reply gives 0.7–0.8, fixing a word or a figure gives 0.95+.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from enum import StrEnum

LIGHT_EDIT_MIN_RATIO = 0.85


class EditClass(StrEnum):
    UNCHANGED = "unchanged"
    LIGHT = "lightly_edited"
    REWRITTEN = "rewritten"


def similarity(draft_text: str, sent_text: str) -> float:
    """0..1, 1 for identical texts (difflib's ratio, without the junk heuristic that
    treats frequent characters in long texts as noise)."""
    return SequenceMatcher(None, draft_text, sent_text, autojunk=False).ratio()


def classify_edit(draft_text: str, sent_text: str | None) -> EditClass:
    """The edit class of a sent draft; ``sent_text`` None means sent as drafted."""
    if sent_text is None or sent_text.strip() == draft_text.strip():
        return EditClass.UNCHANGED
    if similarity(draft_text.strip(), sent_text.strip()) >= LIGHT_EDIT_MIN_RATIO:
        return EditClass.LIGHT
    return EditClass.REWRITTEN
