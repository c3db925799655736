"""Plain words for the codes the workflow stores, as agents read them in the console.

Stored values stay stable codes (evals, Slack and the API refer to them); only what a person
reads is translated here. An unknown code still reads as words, never as ``snake_case``.
"""

from __future__ import annotations

# Why a draft hands over to a person, or why a conversation waits for one.
HANDOFF_REASONS: dict[str, str] = {
    "safety": "safety risk",
    "legal": "legal threat or claim",
    "fraud": "possible fraud",
    "angry": "angry buyer",
    "human_request": "asked for a person",
    "buyer_asked": "asked for a person",
    "out_of_scope": "not covered by the knowledge base",
    "no_knowledge": "not covered by the knowledge base",
    "low_confidence": "unsure answer",
    "marketplace_account": "Amazon account question",
    "drafting_failed": "drafting failed",
    "escalated": "escalated to a lead",
    "mail_not_delivered": "reply not delivered",
}
# The reasons an agent can filter the queue by (one label each, in this order).
REASON_FILTERS: dict[str, str] = {
    "safety": "safety risk",
    "legal": "legal threat or claim",
    "fraud": "possible fraud",
    "angry": "angry buyer",
    "human_request": "asked for a person",
    "out_of_scope": "not covered by the knowledge base",
    "low_confidence": "unsure answer",
}
# Codes that mean the same thing to an agent are filtered together.
REASON_ALIASES = {"buyer_asked": "human_request", "no_knowledge": "out_of_scope"}

CHECK_LABELS: dict[str, str] = {
    "compliance.no_links": "no links",
    "compliance.no_email": "no e-mail addresses",
    "compliance.no_phone": "no phone numbers",
    "compliance.no_marketing": "no marketing or coupons",
    "compliance.no_review_manipulation": "no review requests",
    "compliance.no_emoji": "no emoji",
    "compliance.no_html": "no HTML",
    "compliance.max_length": "within Amazon's length limit",
    "tone.greeting": "greets the buyer",
    "tone.no_non_apology": "no non-apology",
    "tone.no_unfortunately_opening": "does not open with \"Unfortunately\"",
    "tone.no_unfortunately": "no sentence starts with \"Unfortunately\"",
    "tone.no_policy_citing": "no \"as per our policy\"",
    "tone.no_blame": "does not blame the buyer",
    "tone.acknowledgement": "acknowledges the buyer's problem",
    "tone.next_step": "gives a next step",
    "tone.readability": "easy to read",
    "grounding.figures_supported": "every figure is in the sources",
    "privacy.no_foreign_contact": "no one else's contact details",
    "privacy.no_foreign_order_id": "no one else's order number",
    "privacy.no_instruction_leak": "no internal instructions",
    "privacy.bound_orders_only": "only this buyer's orders",
    "privacy.no_address": "no postal address",
    "policy.no_overpromise": "promises only what the policy allows",
    "policy.restocking_fee": "restocking fee as the policy says",
    "policy.deadline_matches": "deadline as the policy says",
    "consistency.no_repeat_request": "does not ask again for what the buyer gave",
    "consistency.safety_advice": "tells the buyer to stop using the product",
    "consistency.one_deadline": "one date per deadline",
    "consistency.item_in_order": "the item is in the order",
    "consistency.opening_on_topic": "opening is about the buyer's problem",
}

CHANNELS = {"widget": "chat", "mail": "Amazon mail"}
MOODS = {"angry": "angry", "negative": "upset", "neutral": "calm", "positive": "happy"}
LANGUAGES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "ja": "Japanese", "zh": "Chinese",
}


def _words(code: str) -> str:
    return code.rsplit(".", 1)[-1].replace("_", " ").strip()


def handoff_reasons(codes: str | None) -> list[str]:
    """A stored reason ("out_of_scope,marketplace_account") as distinct plain phrases."""
    phrases = [HANDOFF_REASONS.get(code.strip(), _words(code)) for code in (codes or "").split(",")]
    return list(dict.fromkeys(p for p in phrases if p))


def reason_codes(codes: str | None) -> set[str]:
    """The filterable reason codes in a stored reason."""
    found = {code.strip() for code in (codes or "").split(",") if code.strip()}
    return {REASON_ALIASES.get(code, code) for code in found}


def check_label(check_id: str) -> str:
    return CHECK_LABELS.get(check_id, _words(check_id))


def channel_label(channel: str) -> str:
    return CHANNELS.get(channel, _words(channel))


def mood_label(sentiment: str) -> str:
    return MOODS.get(sentiment, _words(sentiment))


def language_label(code: str) -> str:
    return LANGUAGES.get(code.split("-")[0].lower(), code)


def composer_label(composer: str) -> str:
    """Who wrote the draft: the offline composer, or the named LLM."""
    if composer == "offline":
        return "from the knowledge base (no AI model)"
    return f"by {composer}"
