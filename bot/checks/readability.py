"""Flesch reading ease, computed offline.

textstat's English path loads NLTK's cmudict and downloads it when missing, which this
product must never do at run time. Its fallback for unknown words is Pyphen hyphenation,
and that is what is used here for every word, with textstat's Flesch constants.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import pyphen

_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_SENTENCE_BASE = 206.835
_WORDS_PER_SENTENCE_WEIGHT = 1.015
_SYLLABLES_PER_WORD_WEIGHT = 84.6


@cache
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


@lru_cache(maxsize=20_000)
def syllables(word: str) -> int:
    """Syllables in one lower-case word, by hyphenation points (at least one)."""
    return len(_hyphenator().positions(word)) + 1


def flesch_reading_ease(sentences: tuple[str, ...]) -> float | None:
    """Flesch reading ease of ``sentences``; None when there are no words to score."""
    words = [word.lower() for sentence in sentences for word in _WORD_RE.findall(sentence)]
    sentence_count = sum(1 for sentence in sentences if _WORD_RE.search(sentence))
    if not words or not sentence_count:
        return None
    syllable_count = sum(syllables(word) for word in words)
    return (
        _SENTENCE_BASE
        - _WORDS_PER_SENTENCE_WEIGHT * len(words) / sentence_count
        - _SYLLABLES_PER_WORD_WEIGHT * syllable_count / len(words)
    )
