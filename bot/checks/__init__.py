"""Reply checks: marketplace compliance, humane tone, grounding, privacy and policy promises.

Drafting shows them to agents as guardrails (a failed ``block`` check stops approval until
fixed or overridden with a reason); evals report their pass rates as metrics.
"""

from bot.checks.base import Check
from bot.checks.context import CheckContext, ReplyRules, context_for_draft
from bot.checks.registry import CHECKS, check_draft, run_checks

__all__ = [
    "CHECKS", "Check", "CheckContext", "ReplyRules", "check_draft", "context_for_draft",
    "run_checks",
]
