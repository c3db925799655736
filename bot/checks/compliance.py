"""Marketplace messaging rules (DOMAIN.md "Not allowed in a message to a buyer")."""

from __future__ import annotations

import re

from bot.checks.base import Check, find_in, first_items, is_negated, mentions_any, word_set
from bot.checks.context import CheckContext
from bot.checks.patterns import (
    find_emails,
    find_links,
    find_phones,
    host_allowed,
    phone_allowed,
    phone_in_texts,
)
from bot.checks.reply import Reply

# Patterns are written for lower-cased text (see Reply.lower).
_FUTURE = r"(?:next|future|any|another|all|every|a\s+future)"
# Explaining how codes work (the buyer asked) is fine; handing one out or offering one is not.
_COUPON_RE = re.compile(
    r"\b(?:here'?s|here\s+is|enclosed\s+is|we've\s+(?:added|attached|included))\s+(?:a|an|your|our|"
    r"this)\s+(?:\w+\s+)?(?:coupon|promo(?:tion(?:al)?)?|discount|voucher|referral|gift)"
    r"(?:\s+codes?)?\b"
    r"|\b(?:offer|give|send|email|e-mail|gift)\s+(?:you\s+)?(?:a|an|this|our|one)?\s*"
    r"(?:\d+\s?%\s+|special\s+|exclusive\s+|little\s+)?(?:coupon|voucher|promo|discount\s+code)\b"
    r"|\b(?:enjoy|get|receive)\s+(?:a|an|this|our)\s+(?:\d+\s?%\s+)?(?:coupon|voucher|promo)\b"
)
_COUPON_WORDS = word_set(
    "coupon coupons promo promotion promotional discount voucher vouchers referral gift"
)
# Case matters for the code itself ("use code SAVE20"), so this one runs on the original text.
_CODE_RE = re.compile(
    r"\b(?:[Uu]se|[Uu]sing|[Ee]nter|[Aa]pply|[Ww]ith)\s+(?:the\s+)?(?:[a-z]+\s+)?[Cc]ode\s*:?\s*"
    r"(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{4,}\b"
    r"|\b(?:[Cc]oupon|[Pp]romo(?:tional)?|[Dd]iscount|[Vv]oucher)\s+[Cc]odes?\s*:?\s*(?:is\s+)?"
    r"[A-Z0-9]{4,}\b"
)
_MONEY_OFF_RE = re.compile(
    r"(?:\d+\s?(?:%|percent)|[$£€]\s?\d+(?:\.\d{2})?)\s+off\s+(?:on\s+)?(?:your\s+)?"
    + _FUTURE
    + r"|\b(?:discount|savings?|money\s+off|credit)\s+(?:on|off|for|towards?)\s+(?:your\s+)?"
    r"(?:next|future|another)\s+(?:order|purchase)"
)
_MONEY_OFF_WORDS = word_set("off discount saving savings credit")
_PROMOTION_RE = re.compile(
    r"\b(?:check\s+out|take\s+a\s+look\s+at|have\s+a\s+look\s+at|browse|explore|discover|see"
    r"|shop)\s+(?:all\s+)?(?:of\s+)?our\s+(?:other\s+|new\s+|latest\s+|full\s+|wider\s+|"
    r"amazing\s+|great\s+)*(?:products?|range|collections?|catalog(?:ue)?|store|shop|"
    r"storefront|items|deals|offers|bestsellers|line)\b"
    r"|\bvisit\s+our\s+(?:amazon\s+)?(?:store|shop|storefront|website|web\s*site|site|brand)"
    r"|\bour\s+other\s+products\b|\bother\s+products\s+(?:you\s+)?(?:might|may)\b"
    r"|\b(?:subscribe|sign\s+up)\s+(?:to|for)\s+our\s+(?:newsletter|mailing\s+list|emails)"
    r"|\bfollow\s+us\s+on\b|\bshop\s+now\b|\bbuy\s+now\b|\bnew\s+arrivals\b"
    r"|\b(?:special|exclusive|limited[\s-]time)\s+(?:offer|deal|discount|promotion|sale)s?\b"
    r"|\byou\s+(?:might|may|will)\s+also\s+(?:like|love|enjoy)\b|\bcustomers\s+also\s+bought\b"
)

_REVIEW_WORDS = word_set("review reviews rating ratings feedback star stars rate")
_REVIEW_NOUN = r"(?:reviews?|ratings?|feedback)"
# A positive review on its own may be thanks ("thank you for the great review"); asked for,
# it is manipulation ("we'd appreciate a 5-star review").
_POSITIVE_REVIEW_RE = re.compile(
    r"\b(?:positive|good|great|glowing|favou?rable|excellent|perfect|top|high|"
    r"(?:5|five|4|four)[\s-]?stars?)\s+" + _REVIEW_NOUN + r"|\b(?:5|five)[\s-]stars?\b"
)
_ASK_RE = re.compile(
    r"\b(?:leave|leaving|give|giving|write|writing|post|posting|share|submit|rate|consider|"
    r"appreciate|would|could|please|hope|help\s+us|mind|if\s+you|kindly)\b"
)
# Asking to change or remove a review (telling a buyer how to, when they asked, is fine).
_REVIEW_CHANGE_RE = re.compile(
    r"\brate\s+us\s+(?:highly|well|5|five)\b"
    r"|\b(?:please|kindly|would\s+you|could\s+you|can\s+you|will\s+you|consider|"
    r"hope\s+(?:that\s+)?you(?:'ll|\s+will|\s+would|\s+can|\s+could|\s+might)?|ask(?:ing)?\s+"
    r"(?:you\s+)?to|request\s+(?:that\s+)?you|if\s+you\s+(?:could|would|can)|"
    r"(?:we'd|we\s+would|i'd|i\s+would)\s+(?:like|love|appreciate\s+it\s+if)\s+(?:you\s+)?(?:to\s+)?)"
    r"\s*(?:[\w-]+\s+){0,3}?"
    r"(?:change|changing|update|updating|revise|revising|edit|editing|amend|amending|"
    r"remove|removing|delete|deleting|withdraw|withdrawing|retract|retracting|reconsider|"
    r"reconsidering|take\s+down|taking\s+down)\s+"
    r"(?:your|the|this|that|its|their)\s+(?:[\w-]+\s+){0,2}?" + _REVIEW_NOUN + r"\b"
    r"|\b(?:once|if|when|after|as\s+soon\s+as)\s+(?:your|the)\s+(?:\w+\s+)?(?:review|rating|"
    r"feedback)\s+(?:is|has\s+been|gets|was)\s+(?:removed|deleted|changed|updated|taken\s+down"
    r"|withdrawn|retracted|revised|amended)\b"
)
# An incentive and a review in the same sentence: "a free gift if you leave a review".
_REVIEW_MENTION_RE = re.compile(
    r"\b(?:leave|leaving|write|writing|post|posting|give|giving|share|sharing|submit|submitting)"
    r"\s+(?:us\s+)?(?:a|an|your|the|some)?\s*(?:honest\s+|quick\s+|short\s+|product\s+)?"
    + _REVIEW_NOUN
    + r"\b|\bfor\s+(?:a|your|an\s+honest|leaving\s+a|writing\s+a)\s+(?:product\s+)?reviews?\b"
    r"|\bif\s+you\s+review\b|\breview\s+(?:us|our\s+product|the\s+product)\b"
)
_INCENTIVE_RE = re.compile(
    r"(?<!feel\s)\b(?:free|gift|reward|rewarded|bonus|discount|coupon|voucher|refund|cash|money\s+back|"
    r"compensat\w*|in\s+exchange|in\s+return|prize|credit)\b|\d\s?%\s+off\b"
)

_EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0f\u200d\u20e3]"
    r"|(?<![\w:;=])(?:[:;=]-?[)(dp]|<3|\^_\^|:'\()(?!\w)"
)
_HTML_RE = re.compile(
    r"<\s*/?\s*[a-z][a-z0-9-]*(?:\s[^<>]*)?/?\s*>|&(?:[a-z][a-z0-9]{1,10}|#\d{1,7}|#x[0-9a-f]{1,6});"
)


def _links(reply: Reply, context: CheckContext) -> str | None:
    bad = [
        written
        for written, host in find_links(reply.text)
        if not host_allowed(host, context.allowed_link_domains)
    ]
    if not bad:
        return None
    return f"Remove links the marketplace does not allow: {first_items(bad)}."


def _emails(reply: Reply, context: CheckContext) -> str | None:
    found = find_emails(reply.text)
    if not found:
        return None
    return f"Remove e-mail addresses (not allowed in buyer messages): {first_items(found)}."


def _phones(reply: Reply, context: CheckContext) -> str | None:
    # A tracking number from the order data is never a phone number, however it is spaced.
    bad = [
        number
        for number in find_phones(reply.text)
        if not phone_allowed(number, context.allowed_phone_numbers)
        and not phone_in_texts(number, [context.order_facts_text])
    ]
    if not bad:
        return None
    return f"Remove phone numbers other than the allowed support numbers: {first_items(bad)}."


def _marketing(reply: Reply, context: CheckContext) -> str | None:
    found: list[str] = []
    if mentions_any(reply, _COUPON_WORDS):
        found += find_in(reply, _COUPON_RE)
    if "code" in reply.words:
        found += [match.group(0) for match in _CODE_RE.finditer(reply.text)]
    if mentions_any(reply, _MONEY_OFF_WORDS):
        found += find_in(reply, _MONEY_OFF_RE)
    found += find_in(reply, _PROMOTION_RE)
    if not found:
        return None
    return f"Remove marketing, coupons or product promotion: {first_items(found)}."


def _review_manipulation(reply: Reply, context: CheckContext) -> str | None:
    if not mentions_any(reply, _REVIEW_WORDS):
        return None
    found: list[str] = []
    for sentence, lower in zip(reply.sentences, reply.sentences_lower, strict=True):
        if _asks_to_change_review(lower) or _asks_for_praise(lower) or _pays_for_review(lower):
            found.append(sentence)
    if not found:
        return None
    return (
        "Do not ask for positive reviews, offer anything for a review or ask to change or "
        f"remove one: {first_items(found, limit=2)}."
    )


def _found_unnegated(pattern: re.Pattern[str], sentence: str) -> bool:
    # "We never ask you to change a review" is a reassurance, not a request.
    return any(
        not is_negated(sentence, match.start(), match.end()) for match in pattern.finditer(sentence)
    )


def _asks_to_change_review(sentence: str) -> bool:
    return _found_unnegated(_REVIEW_CHANGE_RE, sentence)


def _asks_for_praise(sentence: str) -> bool:
    return _found_unnegated(_POSITIVE_REVIEW_RE, sentence) and bool(_ASK_RE.search(sentence))


def _pays_for_review(sentence: str) -> bool:
    return _found_unnegated(_REVIEW_MENTION_RE, sentence) and _found_unnegated(
        _INCENTIVE_RE, sentence
    )


def _emoji(reply: Reply, context: CheckContext) -> str | None:
    found = find_in(reply, _EMOJI_RE)
    if not found:
        return None
    return f"Remove emoji and emoticons: {first_items(found)}."


def _html(reply: Reply, context: CheckContext) -> str | None:
    if "<" not in reply.text and "&" not in reply.text:
        return None
    found = find_in(reply, _HTML_RE)
    if not found:
        return None
    return f"Remove HTML tags and entities (the message is plain text): {first_items(found)}."


def _length(reply: Reply, context: CheckContext) -> str | None:
    if len(reply.text) <= context.max_chars:
        return None
    return (
        f"The reply has {len(reply.text)} characters; the marketplace limit is "
        f"{context.max_chars}. Shorten it by {len(reply.text) - context.max_chars}."
    )


COMPLIANCE_CHECKS = (
    Check(
        "compliance.no_links", "block", "No links or bare domains outside the allow-list.", _links
    ),
    Check("compliance.no_email", "block", "No e-mail addresses.", _emails),
    Check(
        "compliance.no_phone", "block", "No phone numbers except allowed support numbers.", _phones
    ),
    Check(
        "compliance.no_marketing",
        "block",
        "No marketing, coupons, discounts on future orders or promotion of other products.",
        _marketing,
    ),
    Check(
        "compliance.no_review_manipulation",
        "block",
        "No review incentives, no asking for positive reviews, no asking to change or remove one.",
        _review_manipulation,
    ),
    Check("compliance.no_emoji", "block", "No emoji or emoticons.", _emoji),
    Check("compliance.no_html", "block", "No HTML tags or entities.", _html),
    Check("compliance.max_length", "block", "No longer than the marketplace's limit.", _length),
)
