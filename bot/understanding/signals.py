"""Cheap, deterministic signals from the buyer's words: language, mood, sensitivity, order ids."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

ORDER_ID = re.compile(r"(?<!\d)(\d{3})[-‐–](\d{7})[-‐–](\d{7})(?!\d)")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_ANGRY_WORDS = re.compile(
    r"\b(furious|outraged|disgusted|disgusting|unacceptable|ridiculous|pathetic|useless|"
    r"worst|scam|rip[- ]?off|joke|incompetent|terrible|horrible|awful|angry|livid|"
    r"fuck\w*|shit\w*|damn|crap|wtf|bullshit|idiots?|morons?|stupid|shame on you|"
    r"unbelievable|fed up|sick of|clowns?|liars?|lying|thieves|robbed|amateurs?|junk|garbage|"
    r"trash|ruined|bs|hope (your|you) (business|shop|store|company)? ?(goes under|fails|"
    r"burns|rots)|go out of business)\b",
    re.I,
)
# "Third time I'm writing", "4th message": being ignored is what makes buyers angriest.
_SELF_BLAME = re.compile(r"\b(stupid|silly|dumb|idiot) me\b|\bmy (bad|fault|mistake)\b", re.I)
_REPEATED_CONTACT = re.compile(
    r"\b((second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th) (time (i'?m |i am |i have |i'?ve )?"
    r"(writ|ask|messag|email|contact|reach|chas)\w*|message|email|attempt)|"
    r"(asked|written|messaged|emailed|contacted) (you )?(\d+|two|three|four|five|"
    r"several|many|multiple) times|again and again|no one (answers|replies|responds)|"
    r"nobody (answers|replies|responds|gets back)|still no (answer|reply|response))\b",
    re.I,
)

Sentiment = Literal["positive", "neutral", "negative", "angry"]


def strip_invisible_characters(text: str) -> str:
    """Strip invisible/bidi characters and control bytes (prompt-injection hygiene)."""
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


# Text addressed to a model rather than to the seller ("SYSTEM: …", "ignore your
# instructions", "<!-- AI agent: … -->"): it is never a question to answer or a reason to
# escalate, so understanding and retrieval read the message without it.
_HIDDEN_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_INJECTED = re.compile(
    r"\b(system|assistant|ai( agent| assistant| model)?|bot|chatbot|developer|admin|llm)\s*"
    r"(prompt|message|note|override|instruction)?\s*:|"
    r"\bignore (all |any |the |every(thing)? |your |previous |prior |above |earlier )*"
    r"(instructions|prompts?|rules|above|everything|messages?)\b|"
    r"\b(new|updated|override) instructions?\b|#{2,}|\bend of (customer |buyer )?message\b|"
    r"\byou are now\b|\bpretend (to be|you are)\b|\bact as (an?|the)\b|"
    r"\b(reveal|print|show|repeat|output) (me )?(your|the) (system |hidden |initial )?"
    r"(prompt|instructions)\b|\b(reply|respond|answer) only with\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


def without_injected_instructions(text: str) -> tuple[str, bool]:
    """The message without sentences addressed to a model; True when any were removed."""
    cleaned = _HIDDEN_COMMENT.sub(" ", text)
    sentences = [s for s in _SENTENCE.findall(cleaned) if s.strip()]
    kept = [s for s in sentences if not _INJECTED.search(s)]
    if cleaned == text and len(kept) == len(sentences):
        return text, False
    return " ".join(s.strip() for s in kept).strip() or text, True


def find_order_ids(text: str) -> list[str]:
    """Marketplace order ids (3-7-7 digits) in order of appearance, normalised to ASCII dashes."""
    seen: list[str] = []
    for match in ORDER_ID.finditer(text):
        order_id = "-".join(match.groups())
        if order_id not in seen:
            seen.append(order_id)
    return seen


# A message that only thanks or closes the conversation: the right outcome is usually
# "no response needed" (it stops the marketplace's 24-hour clock without a reply).
_GRATITUDE = re.compile(
    r"\b(thanks?|thank you|thx|ty|cheers|appreciated?|much obliged|that'?s all|all sorted|"
    r"all good|no further questions|nothing else|problem solved|have a (good|great|nice|lovely) "
    r"(day|one|weekend|evening)|bye)\b",
    re.I,
)
_STILL_ASKING = re.compile(
    r"\b(can|could|would|will) (you|u|i|we)\b|\bplease\b|\bpls\b|\b(need|want|would like)\b|"
    r"^\W*(how|where|when|why|what|which|who)\b|\bhelp me\b|\bstill\b|\bnot\b|n't\b|"
    r"\b(dont|didnt|doesnt|cant|wont|isnt|hasnt|havent|wasnt|arent)\b|"
    r"\bnever\b|\b(broken|damaged|wrong|missing|problem|issue|but|however|except|although)\b",
    re.I,
)


def closes_the_conversation(text: str) -> bool:
    """True for thanks-only / "that's all" messages that ask for nothing more."""
    stripped = text.strip()
    return (
        bool(_GRATITUDE.search(stripped))
        and "?" not in stripped
        and len(stripped.split()) <= 25
        and not _STILL_ASKING.search(stripped)
    )


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str) -> tuple[Sentiment, Literal["normal", "high"]]:
    """Mood and urgency: VADER polarity plus anger cues (swearing, shouting, !!!)."""
    compound = float(_vader().polarity_scores(text)["compound"])
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6
    # "stupid me", "my bad": the buyer blaming themselves is not anger at us.
    anger_hits = len(_ANGRY_WORDS.findall(_SELF_BLAME.sub(" ", text)))
    ignored = bool(_REPEATED_CONTACT.search(text))
    # Shouted words ("FIX IT") count even when the rest is lower case.
    shouted = len(re.findall(r"\b[A-Z]{2,}\b(?:\s+\b[A-Z]{2,}\b)+", text)) > 0
    heated = shouting or shouted or "!!" in text or compound < -0.5 or ignored
    angry = (
        anger_hits >= 2
        or (anger_hits >= 1 and heated)
        or (shouting and ("!" in text or ignored or compound < 0))
        or (ignored and compound < 0.3)
    )
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
    if len(words) < 5:
        return "en"
    values = _language_detector().compute_language_confidence_values(" ".join(words))
    if not values:
        return "en"
    best = values[0]
    # Short buyer English ("status of my towels?") reads as Dutch or Italian to the
    # detector at low confidence: only a clear verdict moves away from English.
    if best.value < 0.8:
        return "en"
    return str(best.language.iso_code_639_1.name.lower())


def warm_up() -> None:
    """Load the lazy models once at start-up so the first buyer doesn't pay for it."""
    detect_language("where is my parcel, I ordered it last week")
    sentiment_of("thanks")
