"""The seller's product names, so that *which* product a buyer names does not decide *what*
they are asking.

Buyers name their item in almost every message ("status of my towels?", "can the skillet be
redirected?"). A sentence embedding weighs that noun heavily, so "status of my towels?" is
nearer to the example question "How do I send back the towels I bought?" than to "What's the
status of my order?", and a classifier trained on another shop's messages calls "pan set"
out of scope. Retrieval therefore reads the message with the seller's product names replaced
by "item" — the word the KB's own generic questions use. The names come from the seller's
catalogue (the titles of the items in their orders), never from a dataset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words that finish a product's short name but are not products on their own
# ("pan set", "duvet cover", "knife block"): masked only right after a product word.
_COMPOUND_HEADS = frozenset(
    {"set", "cover", "block", "pack", "case", "lid", "board", "stand", "holder", "kit"}
)
# Title words that describe rather than name, and words too common to hide.
_NOT_NAMES = frozenset(
    {"a", "an", "and", "the", "of", "for", "with", "in", "on", "by", "to", "or", "x",
     "cm", "mm", "l", "ml", "kg", "g", "oz", "lb", "s", "m", "xl", "xs", "us", "uk",
     "eu", "men", "women", "mens", "womens", "kids", "new", "final", "sale", "pack", "item",
     "order", "gift", "box", "card", "black", "white", "red", "blue", "green", "grey",
     "gray", "brown", "pink", "oat", "sage", "indigo", "charcoal", "camel", "chestnut",
     "heather", "check", "double", "single", "king", "queen", "small", "medium", "large",
     "one", "two", "three"}
)
_WORD = re.compile(r"[a-z][a-z'-]*")
REPLACEMENT = "item"


def _variants(word: str) -> set[str]:
    """A name and its plural/singular ("towel" ⇄ "towels", "knife" ⇄ "knives")."""
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    elif word.endswith("ves"):
        forms.update({word[:-3] + "f", word[:-3] + "fe"})
    elif word.endswith("es"):
        forms.update({word[:-2], word[:-1]})
    elif word.endswith("s"):
        forms.add(word[:-1])
    else:
        forms.update({word + "s", word + "es"})
        if word.endswith("fe"):
            forms.add(word[:-2] + "ves")
        elif word.endswith("f"):
            forms.add(word[:-1] + "ves")
        elif word.endswith("y"):
            forms.add(word[:-1] + "ies")
    return forms


class ItemVocabulary:
    """Product names read from catalogue titles, and the masking that hides them."""

    def __init__(self, titles: Iterable[str] = ()) -> None:
        names: set[str] = set()
        modifiers: set[str] = set()
        for title in titles:
            words = [
                w for w in _WORD.findall(title.split(",")[0].lower().replace("-", " "))
                if w not in _NOT_NAMES and len(w) > 2
            ]
            if not words:
                continue
            *before, last = words
            if last in _COMPOUND_HEADS and before:
                # "pan set": "pan" names the product; "set" follows it.
                *before, head = before
                names.update(_variants(head))
            else:
                names.update(_variants(last))
            modifiers.update(w for w in before if w not in _COMPOUND_HEADS)
        self.names = frozenset(names)
        # Descriptive words are hidden only next to a name ("cast iron skillet").
        self.modifiers = frozenset(modifiers - names)

    def __bool__(self) -> bool:
        return bool(self.names)

    def mask(self, text: str) -> str:
        """``text`` with each product name (and its describing words) replaced by "item"."""
        if not self.names:
            return text
        tokens = list(re.finditer(r"[A-Za-z][A-Za-z'-]*", text))
        lowered = [t.group(0).lower() for t in tokens]
        spans: list[tuple[int, int]] = []
        index = 0
        while index < len(tokens):
            if lowered[index] not in self.names:
                index += 1
                continue
            start = index
            while start > 0 and lowered[start - 1] in self.modifiers | self.names:
                start -= 1
            end = index
            while end + 1 < len(tokens) and (
                lowered[end + 1] in self.names or lowered[end + 1] in _COMPOUND_HEADS
            ):
                end += 1
            spans.append((tokens[start].start(), tokens[end].end()))
            index = end + 1
        if not spans:
            return text
        pieces: list[str] = []
        cursor = 0
        for begin, finish in spans:
            pieces.append(text[cursor:begin])
            pieces.append(REPLACEMENT)
            cursor = finish
        pieces.append(text[cursor:])
        return "".join(pieces)
