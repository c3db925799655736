"""Policy promises: a reply must not promise more than the policy engine's verdicts allow."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bot.checks.base import Check, first_items, is_negated
from bot.checks.context import CheckContext
from bot.checks.figures import date_facts, extract_figures, is_supported, known_facts, number_value
from bot.checks.reply import Reply, lowered, split_sentences
from bot.facts import PolicyVerdict

_WE_WILL = (
    r"\bwe(?:'ll|\s+will|\s+can|\s+could|\s+are\s+(?:happy|glad|going)\s+to|'re\s+(?:happy|glad"
    r"|going)\s+to|'d\s+be\s+(?:happy|glad)\s+to|\s+would\s+be\s+(?:happy|glad)\s+to)\s+"
    r"(?:\w+\s+)?"
)
_YOU_CAN = r"\byou\s+(?:can|could|may|are\s+able\s+to|are\s+welcome\s+to)\s+(?:\w+\s+)?"
_ELIGIBLE = (
    r"\b(?:(?:eligible|qualif(?:y|ies))\s+for|entitled\s+to)\s+(?:a\s+|an\s+)?(?:full\s+|free\s+)?"
)


def _any_of(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


# What promising each kind of remedy sounds like (patterns for lower-cased text).
_PROMISE_RES: dict[str, re.Pattern[str]] = {
    "return": _any_of(
        _YOU_CAN + r"(?:return|send\s+(?:it|them|the\s+\w+)\s+back)\b",
        _ELIGIBLE + r"return",
        _WE_WILL + r"accept\s+(?:the|your|this)\s+return",
        r"\b(?:is|are)\s+(?:still\s+)?(?:within|inside)\s+(?:the|our)\s+return\s+window",
    ),
    "refund": _any_of(
        _WE_WILL + r"(?:refund|reimburse|(?:issue|process|send|give)\s+(?:you\s+)?(?:a|your|the)"
        r"\s+(?:full\s+)?refund)",
        r"\byou(?:'ll|\s+will)\s+(?:get|receive|be\s+given)\s+(?:a|your|the)\s+(?:full\s+)?refund",
        r"\byour\s+(?:full\s+)?refund\s+(?:will|has\s+been|is\s+on)",
        _ELIGIBLE + r"refund",
    ),
    "cancel": _any_of(
        _WE_WILL + r"cancel",
        _YOU_CAN + r"cancel",
        r"\bwe(?:'ve|\s+have)\s+cancell?ed\b",
        r"\b(?:has|have)\s+been\s+cancell?ed\b",
        _ELIGIBLE + r"cancell?ation",
    ),
    "exchange": _any_of(
        _WE_WILL + r"(?:exchange|replace|send\s+(?:you\s+)?(?:a|an)\s+(?:new\s+one|replacement))",
        _YOU_CAN + r"exchange",
        _ELIGIBLE + r"(?:exchange|replacement)",
    ),
    "warranty": _any_of(
        r"\b(?:is|are|it's|still)\s+(?:still\s+|fully\s+)?(?:covered\s+by|under)\s+"
        r"(?:the\s+|our\s+|its\s+|a\s+)?warranty",
        r"\b(?:the|our)\s+warranty\s+(?:covers|will\s+cover)",
        _ELIGIBLE + r"(?:a\s+)?warranty",
    ),
}
_WORD_RE = re.compile(r"[a-z0-9]+")
_CANCELLED_RE = re.compile(r"(?:has|have)\s+been\s+cancell?ed")
_FEE_RE = re.compile(r"\brestocking\s+(?:fee|charge)s?\b|\brestock(?:ing)?\s+fee\b")
_FEE_WAIVED_RE = re.compile(r"\bwaive[sd]?\b|\bfree\s+of\b")
_PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|percent\b|per\s+cent\b)")
_DEADLINE_CUE_RE = re.compile(
    r"\b(?:until|by|before|no\s+later\s+than|deadline|up\s+to|through|ends?|expires?|closes?|"
    r"last\s+day|on\s+or\s+before|window)\b[^.!?]{0,25}$"
)


def _own_sentences(reply: Reply, context: CheckContext) -> list[tuple[str, str]]:
    """(sentence, lower-cased) pairs the draft wrote itself. A sentence quoted whole from a
    cited article or a verdict is the seller's published policy or the engine's own decision
    ("You can cancel an order free of charge until it ships"), not a promise of the draft's."""
    sources = [*context.cited_texts, *(verdict.text for verdict in context.verdicts)]
    quoted: set[str] = set()
    for source in sources:
        quoted |= _sentence_keys(source)
    return [
        (sentence, lower)
        for sentence, lower in zip(reply.sentences, reply.sentences_lower, strict=True)
        if _key(lower) not in quoted
    ]


def _key(sentence: str) -> str:
    return " ".join(_WORD_RE.findall(lowered(sentence)))


@lru_cache(maxsize=2048)
def _sentence_keys(text: str) -> frozenset[str]:
    return frozenset(_key(sentence) for sentence in split_sentences(text))


def _promises(reply: Reply, context: CheckContext) -> str | None:
    refused = _refused_kinds(context.verdicts)
    if not refused:
        return None
    own = _own_sentences(reply, context)
    # "has been cancelled" is a fact, not a promise, when the order data says so.
    already_cancelled = "cancel" in context.order_facts_text.lower()
    found: list[str] = []
    for kind in refused:
        pattern = _PROMISE_RES[kind]
        for sentence, lower in own:
            for match in pattern.finditer(lower):
                if is_negated(lower, match.start(), match.end()):
                    continue
                if already_cancelled and _CANCELLED_RE.match(match.group(0)):
                    continue
                found.append(sentence[match.start() : match.end()].strip())
    if not found:
        return None
    return (
        f"The policy engine decided against {' / '.join(sorted(refused))}, but the reply "
        f"promises it: {first_items(found)}."
    )


def _refused_kinds(verdicts: Sequence[PolicyVerdict]) -> set[str]:
    """Kinds every verdict of which says no (one eligible item keeps the kind open)."""
    decided: dict[str, bool] = {}
    for verdict in verdicts:
        if verdict.kind in _PROMISE_RES:
            decided[verdict.kind] = decided.get(verdict.kind, False) or verdict.eligible
    return {kind for kind, eligible in decided.items() if not eligible}


def _allowed_fee(verdicts: Sequence[PolicyVerdict]) -> float | None:
    """The restocking fee (percent) the verdicts allow; None when no verdict speaks to it."""
    fee_verdicts = [v for v in verdicts if v.kind == "restocking_fee"]
    if fee_verdicts:
        return max(v.fee_percent if v.eligible else 0.0 for v in fee_verdicts)
    returns = [v for v in verdicts if v.kind == "return" and v.eligible]
    if returns:
        return max(v.fee_percent for v in returns)
    return None


def _restocking_fee(reply: Reply, context: CheckContext) -> str | None:
    allowed = _allowed_fee(context.verdicts)
    if allowed is None:
        return None
    if "restocking" not in reply.words and "restock" not in reply.words:
        return None
    for sentence, lower in _own_sentences(reply, context):
        for match in _FEE_RE.finditer(lower):
            if is_negated(lower, match.start(), match.end()) or _FEE_WAIVED_RE.search(lower):
                continue
            if allowed == 0:
                return (
                    "The policy engine allows no restocking fee here, but the reply mentions "
                    f'one: "{sentence}".'
                )
            stated = [number_value(value) for value in _PERCENT_RE.findall(lower)]
            wrong = [value for value in stated if value is not None and value != allowed]
            if wrong:
                return (
                    f"The restocking fee allowed is {allowed:g}%, but the reply says {wrong[0]:g}%."
                )
    return None


def _deadline(reply: Reply, context: CheckContext) -> str | None:
    deadlines = [v.deadline for v in context.verdicts if v.deadline is not None]
    if not deadlines:
        return None
    # Dates the engine itself gave (a warranty end, a delivery date) are not wrong deadlines.
    allowed = known_facts(
        [context.order_facts_text, *context.buyer_texts, *(v.text for v in context.verdicts)]
    )
    for deadline in deadlines:
        allowed.update(date_facts(deadline))
    wrong: list[str] = []
    for sentence, lower in _own_sentences(reply, context):
        for figure in extract_figures(sentence):
            if (
                figure.kind == "date"
                and not is_supported(figure, allowed)
                and _DEADLINE_CUE_RE.search(lower, 0, figure.start)
            ):
                wrong.append(figure.text)
    if not wrong:
        return None
    expected = ", ".join(f"{d.day} {d:%B %Y}" for d in sorted(set(deadlines)))
    return (
        f"The reply gives the deadline as {first_items(wrong)}; the policy engine says {expected}."
    )


PROMISE_CHECKS = (
    Check(
        "policy.no_overpromise",
        "block",
        "Does not offer a return, refund, cancellation, exchange or warranty repair the policy "
        "engine refused.",
        _promises,
    ),
    Check(
        "policy.restocking_fee",
        "block",
        "Mentions a restocking fee only when, and as much as, the policy engine allows.",
        _restocking_fee,
    ),
    Check(
        "policy.deadline_matches",
        "block",
        "Any deadline date stated is the policy engine's deadline.",
        _deadline,
    ),
)
