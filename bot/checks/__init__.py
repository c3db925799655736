"""Reply checks: marketplace compliance, humane tone, grounding, privacy and policy promises.

Drafting shows them to agents as guardrails (a failed ``block`` check stops approval until
fixed or overridden with a reason); evals report their pass rates as metrics.

The names below are imported on first use: the registry compiles every check's patterns and
loads the policy engine, which a process that only redacts log lines or reads reply rules
(``serve --api-only``, issue 17: healthy in ≤ 2 s) should not pay for at start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.checks.base import Check
    from bot.checks.context import CheckContext, ReplyRules, context_for_draft
    from bot.checks.registry import CHECKS, check_draft, run_checks

__all__ = [
    "CHECKS", "Check", "CheckContext", "ReplyRules", "check_draft", "context_for_draft",
    "run_checks",
]

_HOMES = {
    "Check": "bot.checks.base",
    "CheckContext": "bot.checks.context",
    "ReplyRules": "bot.checks.context",
    "context_for_draft": "bot.checks.context",
    "CHECKS": "bot.checks.registry",
    "check_draft": "bot.checks.registry",
    "run_checks": "bot.checks.registry",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
