"""Privacy: no one else's contact details or orders, and nothing of the prompt's instructions."""

from __future__ import annotations

import re

from bot.checks.base import Check, first_items
from bot.checks.context import CheckContext
from bot.checks.patterns import (
    find_addresses,
    find_emails,
    find_order_ids,
    find_phones,
    normalised_alnum,
    phone_allowed,
    phone_in_texts,
)
from bot.checks.reply import Reply, lowered

_LEAK_WORDS = 8
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def _contact_details(reply: Reply, context: CheckContext) -> str | None:
    # The buyer's own details and the seller's published ones (cited articles) are not leaks.
    known = [*context.buyer_texts, *context.cited_texts]
    known_lower = " ".join(known).lower()
    known_alnum = normalised_alnum(" ".join(known))
    leaked = [email for email in find_emails(reply.text) if email.lower() not in known_lower]
    leaked += [
        number
        for number in find_phones(reply.text)
        if not phone_allowed(number, context.allowed_phone_numbers)
        and not phone_in_texts(number, known)
    ]
    leaked += [
        address
        for address in find_addresses(reply.text)
        if normalised_alnum(address) not in known_alnum
    ]
    if not leaked:
        return None
    return (
        "Remove contact details the buyer did not give in this conversation: "
        f"{first_items(leaked)}."
    )


def _order_ids(reply: Reply, context: CheckContext) -> str | None:
    known = " ".join([*context.buyer_texts, context.order_facts_text])
    foreign = [order_id for order_id in find_order_ids(reply.text) if order_id not in known]
    if not foreign:
        return None
    return (
        "Remove order ids that are not this buyer's (not in their messages or the order "
        f"looked up): {first_items(foreign)}."
    )


def _copied_runs(text: str, source: str) -> list[list[str]]:
    """Runs of at least ``_LEAK_WORDS`` consecutive words of ``text`` that appear in ``source``."""
    source_words = _WORD_RE.findall(lowered(source))
    shingles = {
        tuple(source_words[i : i + _LEAK_WORDS]) for i in range(len(source_words) - _LEAK_WORDS + 1)
    }
    words = _WORD_RE.findall(lowered(text))
    runs: list[list[str]] = []
    run_end = -1
    for i in range(len(words) - _LEAK_WORDS + 1):
        if tuple(words[i : i + _LEAK_WORDS]) not in shingles:
            continue
        if i <= run_end:  # overlaps the run before: extend it
            runs[-1].extend(words[run_end : i + _LEAK_WORDS])
        else:
            runs.append(words[i : i + _LEAK_WORDS])
        run_end = i + _LEAK_WORDS
    return runs


def _instruction_leak(reply: Reply, context: CheckContext) -> str | None:
    if not context.instructions_text.strip():
        return None
    runs = _copied_runs(reply.text, context.instructions_text)
    if not runs:
        return None
    longest_run: list[str] = max(runs, key=len)
    longest = " ".join(longest_run)
    return (
        f"The reply copies the prompt's instructions ({len(runs)} passage(s), e.g. "
        f'"{longest}"); rewrite it in your own words.'
    )


PRIVACY_CHECKS = (
    Check(
        "privacy.no_foreign_contact",
        "block",
        "No e-mail, phone number or postal address the buyer did not give.",
        _contact_details,
    ),
    Check(
        "privacy.no_foreign_order_id",
        "block",
        "No order id other than the buyer's own.",
        _order_ids,
    ),
    Check(
        "privacy.no_instruction_leak",
        "block",
        f"No run of {_LEAK_WORDS} or more words copied from the prompt's instructions.",
        _instruction_leak,
    ),
)
