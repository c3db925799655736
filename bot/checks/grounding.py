"""Grounding: every figure a reply states must come from what the draft may rely on."""

from __future__ import annotations

import re

from bot.checks.base import Check, first_items
from bot.checks.context import CheckContext
from bot.checks.figures import date_facts, extract_figures, is_supported, known_facts
from bot.checks.reply import Reply, lowered
from bot.policy.wording import verdict_text

# In a hand-off the only figure is when a person will reply, which the hand-off exists to say.
_RESPONSE_TIME_RE = re.compile(
    r"\b(?:reply|respond|answer|get\s+back\s+to\s+you|be\s+in\s+touch|contact\s+you|"
    r"hear\s+from\s+(?:us|them|me)|pick\s+it\s+up|look\s+into\s+it)\b[^.!?\n]{0,40}?"
    r"\bwithin\s+(?:the\s+next\s+)?\S+\s+(?:business\s+|working\s+)?(?:hours?|days?)\b"
    # The same promise in de, fr, es, it, ja ("innerhalb von 24 Stunden", "24時間以内").
    r"|\b(?:innerhalb\s+von|sous|en|entro)\s+\d+\s+(?:stunden|heures|horas|ore)\b|\d+時間以内"
)


def _grounding(reply: Reply, context: CheckContext) -> str | None:
    body = reply.body
    if context.handoff:
        for match in reversed(list(_RESPONSE_TIME_RE.finditer(lowered(body)))):
            start, end = match.span()
            body = body[:start] + " " * (end - start) + body[end:]
    figures = extract_figures(body)
    if not figures:
        return None
    sources: list[str] = [*context.cited_texts, context.order_facts_text, *context.buyer_texts]
    for verdict in context.verdicts:
        sources.append(verdict.text)
        if context.reply_language != "en":
            # The same decision as worded in the reply's language (its units: "Tage", "日").
            sources.append(
                verdict_text(verdict, language=context.reply_language, order=context.order)
            )
        sources.append(verdict.refund_timing_text or "")
        sources.append(f"{verdict.fee_percent:g}%")
    facts = known_facts(sources)
    for verdict in context.verdicts:
        if verdict.deadline is not None:
            facts.update(date_facts(verdict.deadline))
    unsupported = [figure.text for figure in figures if not is_supported(figure, facts)]
    if not unsupported:
        return None
    return (
        f"State only figures from the cited articles, policy verdicts or order data: "
        f"{first_items(unsupported)} not found there."
    )


GROUNDING_CHECKS = (
    Check(
        "grounding.figures_supported",
        "block",
        "Every number, duration, date or money amount appears in a cited chunk, a policy "
        "verdict, the order facts or the buyer's own words.",
        _grounding,
    ),
)
