"""Cheap, deterministic signals from the buyer's words: language, mood, sensitivity, order ids."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

ORDER_ID = re.compile(r"(?<!\d)(\d{3})[-‐–](\d{7})[-‐–](\d{7})(?!\d)")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Subjects that always go to a person (DOMAIN.md "angry, threatening or sensitive").
SENSITIVE_PATTERNS: dict[str, re.Pattern[str]] = {
    "legal": re.compile(
        r"\b(lawyer|attorney|solicitor|sue|suing|lawsuit|legal action|court|small claims|"
        r"trading standards|consumer protection|ftc|bbb|chargeback|fraud(ulent)?|scam(mer)?)\b",
        re.I,
    ),
    "safety": re.compile(
        r"\b(fire|caught fire|burn(ed|t|s)?|smok(e|ing)|spark(s|ed|ing)?|electric shock|shocked|"
        r"explod(e|ed|ing)|melt(ed|ing)|injur(y|ed|ies)|cut myself|hurt myself|dangerous|hazard)\b",
        re.I,
    ),
    "health": re.compile(
        r"\b(allerg(y|ic)|hospital|doctor|got sick|made me sick|poison(ed|ing)?|rash|toxic|"
        r"emergency room|"
        r"a&e|medical)\b",
        re.I,
    ),
    "threat": re.compile(
        r"\b(kill|hurt you|find you|destroy you|going to get you|watch your back|bomb)\b", re.I
    ),
    "self_harm": re.compile(r"\b(suicid\w*|kill myself|end my life|self[- ]harm)\b", re.I),
}
_ANGRY_WORDS = re.compile(
    r"\b(furious|outraged|disgusted|disgusting|unacceptable|ridiculous|pathetic|useless|"
    r"worst|scam|rip[- ]?off|joke|incompetent|terrible|horrible|awful|angry|livid|"
    r"fuck\w*|shit\w*|damn|crap|wtf|bullshit|idiots?|morons?|stupid)\b",
    re.I,
)

Sentiment = Literal["positive", "neutral", "negative", "angry"]


def clean_text(text: str) -> str:
    """Strip invisible/bidi characters and control bytes (prompt-injection hygiene)."""
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


def find_order_ids(text: str) -> list[str]:
    """Marketplace order ids (3-7-7 digits) in order of appearance, normalised to ASCII dashes."""
    seen: list[str] = []
    for match in ORDER_ID.finditer(text):
        order_id = "-".join(match.groups())
        if order_id not in seen:
            seen.append(order_id)
    return seen


def sensitive_subjects(text: str) -> list[str]:
    """Which sensitive subjects (legal, safety, health, threat, self_harm) the text raises."""
    return [name for name, pattern in SENSITIVE_PATTERNS.items() if pattern.search(text)]


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str) -> tuple[Sentiment, Literal["normal", "high"]]:
    """Mood and urgency: VADER polarity plus anger cues (swearing, shouting, !!!)."""
    compound = float(_vader().polarity_scores(text)["compound"])
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6
    anger_hits = len(_ANGRY_WORDS.findall(text))
    angry = anger_hits >= 2 or (anger_hits >= 1 and (shouting or "!!" in text or compound < -0.5))
    urgent = bool(re.search(r"\b(urgent|asap|immediately|right now|today)\b", text, re.I))
    if angry:
        return "angry", "high"
    if compound <= -0.35:
        return "negative", "high" if urgent or shouting else "normal"
    if compound >= 0.5:
        return "positive", "high" if urgent else "normal"
    return "neutral", "high" if urgent or shouting else "normal"


_LANGUAGE_CODES = ("en", "de", "fr", "es", "it", "ja", "zh", "pt", "nl")


@lru_cache(maxsize=1)
def _language_detector() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in _LANGUAGE_CODES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()


def detect_language(text: str) -> str:
    """ISO 639-1 code; short or unsure Latin-script text defaults to English."""
    if any("\u3040" <= c <= "\u30ff" for c in text):
        return "ja"
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        return "zh"
    words = re.sub(r"[\d\W_]+", " ", text).split()
    if len(words) < 4:
        return "en"
    values = _language_detector().compute_language_confidence_values(" ".join(words))
    if not values:
        return "en"
    best = values[0]
    if best.value < 0.6:
        return "en"
    return str(best.language.iso_code_639_1.name.lower())


def warm_up() -> None:
    """Load the lazy models once at start-up so the first buyer doesn't pay for it."""
    detect_language("where is my parcel, I ordered it last week")
    sentiment_of("thanks")
