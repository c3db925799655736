"""Humane tone (DOMAIN.md "Writing humane replies"): greeting, plain apologies, no blame,
an acknowledgement of the buyer's problem, a next step, plain language."""

from __future__ import annotations

import re

from bot.checks.base import Check, find_in, first_items, mentions_any, word_set
from bot.checks.context import CheckContext
from bot.checks.figures import extract_figures
from bot.checks.readability import flesch_reading_ease
from bot.checks.reply import Reply

# Words after "Hi"/"Hello" that are not a name.
_NOT_A_NAME = word_set(
    "there again all everyone team customer friend folks mr mrs ms miss dr and sir madam "
    "valued buyer shopper"
)
_NAME_WORD_RE = re.compile(r"[A-Za-zÀ-ÿ'’-]+")

# Patterns are written for lower-cased text (see Reply.lower).
_NON_APOLOGY_RE = re.compile(
    r"\b(?:sorry|apologi[sz]e|apologies|regret)\b[^.!?\n]{0,25}\bany\s+inconvenience"
    r"|\binconvenience\s+(?:this|that|it|which)\s+(?:may|might|could)\s+have\s+caused"
    r"|\b(?:sorry|apologi[sz]e|apologies)\s+if\s+(?:you|this|that|it|we|our|there)\b"
    r"|\bsorry\s+(?:that\s+)?you\s+(?:feel|felt|think|thought|perceive|see\s+it)\b"
    r"|\bsorry\s+you\s+(?:are|were)\s+(?:upset|unhappy|disappointed|dissatisfied)\s+with\s+our"
    r"|\bregret\s+(?:if|that\s+you\s+feel)",
)
_NON_APOLOGY_WORDS = word_set("sorry apologise apologize apologies regret inconvenience")
_UNFORTUNATELY_RE = re.compile(r"^unfortunately\b")
_POLICY_CITING_RE = re.compile(
    r"\b(?:as\s+)?per\s+(?:our|the|company|store|shop)\s+(?:[\w-]+\s+){0,2}?polic(?:y|ies)\b"
    r"|\bas\s+per\s+polic(?:y|ies)\b"
)
_BLAME_RE = re.compile(
    r"\byou\s+(?:should|shouldn't|should\s+not|ought\s+to)\s*(?:have|'ve)\s+"
    r"(?!received\b|got\b|gotten\b|been\s+(?:sent|emailed|e-mailed|given|notified|told|charged|"
    r"refunded|issued)\b)"
    r"(?:[a-z]+ed|read|known|told|done|kept|taken|chosen|written|thought|seen|been\s+more)\b"
    r"|\byou\s+(?:failed|neglected|forgot)\s+to\b"
    r"|\b(?:it\s+is|it's|that\s+is|that's|this\s+is|this\s+was|it\s+was)\s+(?:entirely\s+|solely\s+)?"
    r"(?:your\s+(?:own\s+)?(?:responsibility|fault|problem|mistake)|on\s+you)\b"
    r"|\byour\s+(?:own\s+)?fault\b"
    r"|\byou\s+(?:were|are)\s+(?:supposed|expected|required)\s+to\b"
    r"|\byou\s+(?:did\s+not|didn't)\s+(?:read|follow|check|bother)\b"
    r"|\bas\s+you\s+(?:should|would)\s+(?:know|have\s+known)\b"
)
_ACKNOWLEDGEMENT_RE = re.compile(
    r"\bthank(?:s|\s+you)\s+(?:so\s+much\s+|very\s+much\s+)?for\s+(?:your|the|taking|letting|"
    r"telling|getting|reaching|contacting|flagging|bringing|writing|explaining|checking|sharing|"
    r"raising|sending|being)\b"
    r"|\bsorry\s+to\s+hear\b|\b(?:i'm|i\s+am|we're|we\s+are)\s+(?:\w+\s+)?sorry\b"
    r"|\bi\s+(?:understand|can\s+see|see\s+that|hear\s+you)\b|\bi\s+know\s+how\b"
)
_STOPWORD_TEXT = """
    about above after again against also although always another anyone anything around
    because been before being below between both cannot could does doing done down during
    each either else even ever every from further have having here hers herself himself
    however into itself just last least less like made make many maybe might more most much
    must myself never next none only other ought ours ourselves over own please quite rather
    really same shall should since some still such than that thats their theirs them
    themselves then there these they thing things this those though through thus till too
    under until upon very want wanted wants was were what whatever when where whether which
    while will with within without would your yours yourself yourselves hello dear thanks
    thank regards kind best wishes team hope help need needs know sure okay right well
    today tomorrow yesterday week message messages question questions please asap soon
    tell said says going getting able let lets look looking wondering wonder good great
"""
# Words too common to show that a reply is about what the buyer wrote.
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_CONTENT_WORD_RE = re.compile(r"[a-z]{4,}")
_SUFFIXES = ("ings", "ing", "ies", "ied", "es", "ed", "ly", "s")
_STEM_LENGTH = 5
_MIN_STEM_ROOT = 4

_NEXT_STEP_RE = re.compile(
    r"\byou\s+(?:can|could|may|just\s+need\s+to|only\s+need\s+to|need\s+to|will\s+need\s+to)\b"
    r"|\byou(?:'ll|\s+will)\s+(?:receive|get|see|be\s+able|hear|find)\b"
    r"|\b(?:we|i)(?:'ll|\s+will|\s+am\s+going\s+to|'m\s+going\s+to|\s+have\s+(?:asked|arranged|sent"
    r"|issued|started|passed|forwarded))\b"
    r"|\bplease\b|\breply\b|\blet\s+(?:us|me)\s+know\b|\bwithin\s+\S+\s+(?:business\s+|working\s+)?"
    r"(?:hours?|days?)\b|\bby\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"tomorrow|the\s+end\s+of)\b"
)
_IMPERATIVE_RE = re.compile(
    r"^(?:just\s+|simply\s+)?(?:start|reply|send|return|pack|print|drop|take|open|go|head|choose|"
    r"select|use|keep|let|contact|check|follow|attach|include|share|tell|write|request|wait|try|"
    r"look|log|sign|make|bring|call|ship|enter|place|confirm|unplug|restart|reset|hold|press)\b"
)


def _greeting(reply: Reply, context: CheckContext) -> str | None:
    if reply.greeting is None:
        first_name = context.buyer_name.split()[0] if context.buyer_name else None
        suggestion = f'"Hi {first_name},"' if first_name else '"Hi there,"'
        return f"Start with a greeting, e.g. {suggestion}"
    if context.buyer_name:
        names = {part.lower() for part in _NAME_WORD_RE.findall(context.buyer_name)}
        greeted = [
            word
            for word in _NAME_WORD_RE.findall(reply.greeting_rest)
            if word[:1].isupper() and word.lower() not in _NOT_A_NAME
        ]
        wrong = [word for word in greeted if word.lower() not in names]
        if wrong:
            return f"The greeting names {first_items(wrong)} but the buyer is {context.buyer_name}."
    return None


def _non_apology(reply: Reply, context: CheckContext) -> str | None:
    if not mentions_any(reply, _NON_APOLOGY_WORDS):
        return None
    found = find_in(reply, _NON_APOLOGY_RE)
    if not found:
        return None
    return (
        f"Replace the non-apology {first_items(found)} with a plain apology for what went wrong "
        '(e.g. "I\'m sorry your order arrived damaged").'
    )


def _unfortunately_opening(reply: Reply, context: CheckContext) -> str | None:
    if reply.sentences and _UNFORTUNATELY_RE.match(reply.sentences_lower[0]):
        return 'Do not open with "Unfortunately": acknowledge the problem first.'
    return None


def _unfortunately_anywhere(reply: Reply, context: CheckContext) -> str | None:
    count = sum(1 for sentence in reply.sentences_lower if _UNFORTUNATELY_RE.match(sentence))
    if not count:
        return None
    return (
        f'{count} sentence(s) start with "Unfortunately"; say what you can do instead of '
        "leading with what you can't."
    )


def _policy_citing(reply: Reply, context: CheckContext) -> str | None:
    if "per" not in reply.words:
        return None
    found = find_in(reply, _POLICY_CITING_RE)
    if not found:
        return None
    return f"Drop {first_items(found)}: explain the rule in plain words instead."


def _blame(reply: Reply, context: CheckContext) -> str | None:
    found = find_in(reply, _BLAME_RE)
    if not found:
        return None
    return f"Do not blame the buyer: {first_items(found)}."


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM_ROOT:
            word = word[: -len(suffix)]
            break
    return word[:_STEM_LENGTH]


def content_stems(text: str) -> set[str]:
    """The English words of ``text`` that carry its subject (4+ letters, not a stop word),
    stemmed: "wrapping" and "wrap" meet, "some" and "please" never count."""
    return {
        _stem(word) for word in _CONTENT_WORD_RE.findall(text.lower()) if word not in _STOPWORDS
    }


def _acknowledgement(reply: Reply, context: CheckContext) -> str | None:
    if context.reply_language != "en":
        return None  # word stems and phrases below are English
    body_lower = " ".join(reply.sentences_lower)
    if _ACKNOWLEDGEMENT_RE.search(body_lower):
        return None
    buyer_stems = content_stems(" ".join(context.buyer_texts))
    if not buyer_stems or buyer_stems & content_stems(body_lower):
        return None
    return (
        "Acknowledge the buyer's specific problem (refer to what they wrote about) before "
        "answering."
    )


def _next_step(reply: Reply, context: CheckContext) -> str | None:
    if context.reply_language != "en":
        return None  # the phrases below are English
    if any(_NEXT_STEP_RE.search(sentence) for sentence in reply.sentences_lower):
        return None
    if any(_IMPERATIVE_RE.match(sentence) for sentence in reply.sentences_lower):
        return None
    if any(figure.kind == "date" for figure in extract_figures(reply.body)):
        return None
    return (
        "Give a concrete next step: what the buyer can do or what we will do, and when "
        '(e.g. "You can start the return from Your Orders").'
    )


def _readability(reply: Reply, context: CheckContext) -> str | None:
    if context.reply_language != "en":
        return None  # Flesch reading ease is calibrated on English
    score = flesch_reading_ease(reply.sentences)
    if score is None or context.readability_min <= score <= context.readability_max:
        return None
    if score < context.readability_min:
        return (
            f"Reading ease {score:.0f} is below {context.readability_min:.0f}: use shorter "
            "sentences and plainer words."
        )
    return (
        f"Reading ease {score:.0f} is above {context.readability_max:.0f}: the reply is too "
        "terse to be helpful."
    )


TONE_CHECKS = (
    Check("tone.greeting", "warn", "Starts with a greeting, by first name when known.", _greeting),
    Check(
        "tone.no_non_apology",
        "block",
        'No non-apologies ("sorry if you feel", "we regret any inconvenience").',
        _non_apology,
    ),
    Check(
        "tone.no_unfortunately_opening",
        "block",
        'The first sentence after the greeting does not start with "Unfortunately".',
        _unfortunately_opening,
    ),
    Check(
        "tone.no_unfortunately",
        "warn",
        'No sentence starts with "Unfortunately".',
        _unfortunately_anywhere,
    ),
    Check(
        "tone.no_policy_citing",
        "block",
        'No "as per our policy" / "per our policy".',
        _policy_citing,
    ),
    Check(
        "tone.no_blame",
        "block",
        'No blaming the buyer ("you should have", "you failed to", "it is your responsibility").',
        _blame,
    ),
    Check(
        "tone.acknowledgement",
        "warn",
        "Acknowledges the buyer's specific problem.",
        _acknowledgement,
    ),
    Check(
        "tone.next_step",
        "warn",
        "Gives a concrete next step (what the buyer can do, what we will do, or a date).",
        _next_step,
        applies_to_handoff=False,
    ),
    Check(
        "tone.readability",
        "warn",
        "Flesch reading ease within the configured band.",
        _readability,
    ),
)
