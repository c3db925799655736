"""Why a buyer wants to send something back, read from their own words.

Keyword rules, not a model: the reason only selects fee and exclusion rules, so it must be
predictable and explainable. Seller-fault reasons are checked first, because "I changed my
mind — it arrived broken anyway" must not lose the buyer the fee waiver; "I ordered the
wrong size" is the buyer's choice, not a wrong item, and is taken out before that check.
"""

from __future__ import annotations

import re

_NOT = r"(?:not|isn't|isnt|wasn't|wasnt|aren't|weren't|no|never|nothing|without)"
_NEGATED_BEFORE = re.compile(rf"\b{_NOT}\b(?:\s+\w+){{0,2}}\s*$")
_BUYER_PICKED_WRONG = r"\bi (?:ordered|bought|picked|chose|selected) the wrong\b(?: \w+)?"
_SELLER_FAULT = {"wrong_item", "missing_parts", "damaged", "defective", "not_as_described"}

# (reason, patterns, may be negated by a preceding "not"/"no"...), checked in this order.
_RULES: list[tuple[str, list[str], bool]] = [
    (
        "wrong_item",
        [
            r"\bwrong (?:item|product|model|one|thing|kettle|pan|knife|part|order)",
            # A bare "wrong size" is usually the buyer's ("wrong size, still sealed"): the
            # seller is at fault only when it came or was sent that way.
            r"\b(?:came|arrived|is|was|were|are) (?:in )?(?:the |a )?wrong (?:size|colou?r)",
            r"\bnot (?:what|the (?:one|item|product)) i (?:ordered|bought|paid for)",
            r"\b(?:sent|received|got|shipped|delivered)(?: me| us)? (?:the |a )?wrong\b",
            r"\b(?:different|incorrect) (?:item|product|colou?r|size|model) (?:than|from|to)?",
            r"\bsomeone else'?s (?:order|item|parcel|package)",
        ],
        False,
    ),
    (
        "missing_parts",
        [
            r"\bmissing (?:a |the |some )?(?:parts?|pieces?|lid|handle|base|plug|cable|cord|"
            r"accessor(?:y|ies)|components?|screws?|instructions)",
            r"\b(?:parts?|pieces?|lid|handle|base|plug|cable|cord) (?:is|are|was|were) missing",
            r"\bincomplete\b",
            r"\bonly (?:got|received) (?:one|two|part)\b",
        ],
        False,
    ),
    (
        "damaged",
        [
            r"\b(?:arrived|came|was delivered|showed up|turned up) (?:\w+ )?(?:broken|damaged|"
            r"cracked|smashed|shattered|dented|crushed|chipped|bent|scratched|torn)",
            r"\bdamaged (?:in|during) (?:transit|shipping|delivery|the post)",
            r"\b(?:box|package|parcel|packaging) (?:was |is )?(?:crushed|damaged|ripped|torn|wet)",
        ],
        True,
    ),
    (
        "defective",
        [
            r"\b(?:defective|faulty|malfunction\w*|dead on arrival|doa)\b",
            r"\b(?:doesn't|does not|didn't|did not|won't|will not|wont|can't|cannot) "
            r"(?:work|turn on|switch on|power on|heat(?: up)?|boil|start|charge|close|lock|seal)",
            r"\b(?:stopped|quit|stops) (?:working|heating)",
            r"\bnot working\b",
            r"\bleak(?:s|ing|ed)?\b",
            r"\bbroke (?:down|after|within|when)\b",
            r"\b(?:sparks?|sparking|smok(?:e|es|ing)|burning smell)\b",
            r"\b(?:rust(?:ed|ing|s)?|peeling|flaking)\b",
        ],
        True,
    ),
    (
        "damaged",
        [
            r"\b(?:broken|damaged|cracked|smashed|shattered|dented|crushed|chipped|scratched|bent|"
            r"torn|ripped|stained)\b",
        ],
        True,
    ),
    (
        "not_as_described",
        [
            r"\bnot as (?:described|advertised|pictured|shown)",
            r"\b(?:doesn't|does not|didn't|did not) (?:match|look like) (?:the )?(?:description|"
            r"pictures?|photos?|listing|images?|ad)",
            r"\blooks? (?:nothing like|different (?:from|than|to)) (?:the )?(?:pictures?|photos?|"
            r"listing|description|images?)",
            r"\b(?:smaller|bigger|larger|thinner|cheaper looking) than (?:described|advertised|"
            r"shown|pictured|expected)",
        ],
        False,
    ),
    (
        "ordered_by_mistake",
        [
            r"\bordered (?:it |this |them )?by (?:mistake|accident)",
            r"\b(?:accidentally|mistakenly) (?:ordered|bought|purchased)",
            _BUYER_PICKED_WRONG,
            r"\bby mistake\b",
            r"\bby accident\b",
        ],
        False,
    ),
    (
        "arrived_late",
        [
            r"\b(?:arrived|came|got here|was delivered) (?:too |very |far too )?late\b",
            r"\btook (?:too|so|far too) long\b",
            r"\btoo late for\b",
        ],
        False,
    ),
    (
        "better_price",
        [
            r"\b(?:found|saw|seen) (?:it |one |this )?(?:cheaper|for less|at a (?:better|lower) "
            r"price)",
            r"\b(?:cheaper|better price|lower price) (?:elsewhere|somewhere else|at|on)\b",
        ],
        False,
    ),
    (
        "changed_mind",
        [
            r"\bchanged? (?:my|our) minds?\b",
            r"\b(?:don't|do not|no longer|didn't|did not|dont) (?:need|want|like|love)\b",
            r"\bnot needed\b",
            r"\bnot for me\b",
            r"\bnot what i (?:expected|wanted)\b",
            r"\btoo (?:big|small|large|heavy|bulky|long|short|wide|narrow|tight|loose)\b",
            r"\bwrong size\b",
            r"\b(?:doesn't|does not|didn't|did not) fit\b",
            r"\bunwanted\b",
            r"\b(?:return|send back) (?:it|this|them) (?:because|as) i\b",
        ],
        False,
    ),
]
_COMPILED = [
    (reason, [re.compile(p, re.IGNORECASE) for p in patterns], negatable)
    for reason, patterns, negatable in _RULES
]
RECOGNISED_REASONS = tuple(dict.fromkeys(reason for reason, _, _ in _RULES))


def detect_return_reason(text: str) -> str | None:
    """The return reason the buyer gives, as a policy reason id, or None when none is stated.

    Returns one of ``damaged``, ``defective``, ``wrong_item``, ``missing_parts``,
    ``not_as_described``, ``arrived_late``, ``ordered_by_mistake``, ``better_price``,
    ``changed_mind``. "It's not broken, I just changed my mind" gives ``changed_mind``.
    """
    normalised = " ".join(text.replace("’", "'").replace("‘", "'").split())
    buyer_choice = re.sub(_BUYER_PICKED_WRONG, " ", normalised, flags=re.IGNORECASE)
    for reason, patterns, negatable in _COMPILED:
        text = buyer_choice if reason in _SELLER_FAULT else normalised
        for pattern in patterns:
            for match in pattern.finditer(text):
                if negatable and _NEGATED_BEFORE.search(text[: match.start()]):
                    continue
                return reason
    return None
