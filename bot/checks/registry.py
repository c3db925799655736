"""The registry of reply checks and the function that runs them all."""

from __future__ import annotations

from collections.abc import Sequence

from bot.checks.base import Check
from bot.checks.compliance import COMPLIANCE_CHECKS
from bot.checks.consistency import CONSISTENCY_CHECKS
from bot.checks.context import CheckContext, ReplyRules, context_for_draft
from bot.checks.grounding import GROUNDING_CHECKS
from bot.checks.order_access import ORDER_ACCESS_CHECKS
from bot.checks.privacy import PRIVACY_CHECKS
from bot.checks.promises import PROMISE_CHECKS
from bot.checks.reply import parse_reply
from bot.checks.tone import TONE_CHECKS
from bot.facts import CheckResult, DraftReply

# The order is part of the contract: results come back in it, and the console lists them so.
CHECKS: tuple[Check, ...] = (
    *COMPLIANCE_CHECKS,
    *TONE_CHECKS,
    *GROUNDING_CHECKS,
    *PRIVACY_CHECKS,
    *ORDER_ACCESS_CHECKS,
    *PROMISE_CHECKS,
    *CONSISTENCY_CHECKS,
)

_NOT_APPLICABLE = "Not applicable to a hand-off draft."


def run_checks(text: str, context: CheckContext) -> list[CheckResult]:
    """Run every check on ``text``: one result per check, in the order of ``CHECKS``.

    A failed ``block`` check stops approval until the text is fixed or a person overrides
    it with a reason; a failed ``warn`` check is advice shown to the agent.
    """
    reply = parse_reply(text)
    results: list[CheckResult] = []
    for check in CHECKS:
        if context.handoff and not check.applies_to_handoff:
            results.append(_result(check, passed=True, message=_NOT_APPLICABLE))
            continue
        problem = check.evaluate(reply, context)
        results.append(_result(check, passed=problem is None, message=problem or check.description))
    return results


def _result(check: Check, *, passed: bool, message: str) -> CheckResult:
    return CheckResult(id=check.id, severity=check.severity, passed=passed, message=message)


def check_draft(
    text: str, *, draft: DraftReply, buyer_messages: Sequence[str], rules: ReplyRules
) -> list[CheckResult]:
    """Check ``text`` — the draft's own or an agent's edit — against the draft's evidence."""
    return run_checks(text, context_for_draft(draft, buyer_messages=buyer_messages, rules=rules))
