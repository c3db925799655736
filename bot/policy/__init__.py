"""The return-policy engine: the seller's rules from YAML, decisions as pure functions.

Eligibility is decided here, in code, from the rules and the dates — never by a draft's
wording. The drafting pipeline calls :func:`load_policy` once, then per message
:func:`detect_return_reason` and :func:`verdicts_for_topic`.
"""

from __future__ import annotations

from bot.policy.cancellation import evaluate_cancellation, evaluate_change
from bot.policy.dates import add_business_days, local_day, seller_today
from bot.policy.errors import InvalidPolicy, PolicyError, PolicyFileNotFound
from bot.policy.reasons import RECOGNISED_REASONS, detect_return_reason
from bot.policy.refunds import evaluate_refund
from bot.policy.returns import evaluate_return, restocking_fee, return_window
from bot.policy.rules import (
    DEMO_POLICY_FILE,
    RETURN_REASONS,
    SELLER_FAULT_REASONS,
    PolicyRules,
    load_policy,
    parse_policy,
)
from bot.policy.topics import POLICY_TOPICS, items_in_question, verdicts_for_topic

__all__ = [
    "DEMO_POLICY_FILE",
    "POLICY_TOPICS",
    "RECOGNISED_REASONS",
    "RETURN_REASONS",
    "SELLER_FAULT_REASONS",
    "InvalidPolicy",
    "PolicyError",
    "PolicyFileNotFound",
    "PolicyRules",
    "add_business_days",
    "detect_return_reason",
    "evaluate_cancellation",
    "evaluate_change",
    "evaluate_refund",
    "evaluate_return",
    "items_in_question",
    "load_policy",
    "local_day",
    "parse_policy",
    "restocking_fee",
    "return_window",
    "seller_today",
    "verdicts_for_topic",
]
