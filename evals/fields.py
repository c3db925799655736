"""Scoring a draft against a query's buyer-voice fields (EVAL.md), pure functions.

Each applicable field gives one :class:`FieldResult`; a draft **auto-passes** when every
applicable field holds. Fields (keys of the summary's ``fields``):

- ``routed_right`` — expect answer with an ``article``: not handed off and the first
  citation's ``article_id`` is ``article`` or one of ``alt_articles``;
- ``answered`` — expect answer: not handed off (a failure is a wrong hand-off);
- ``handed_off`` — expect handoff: handed off;
- ``handoff_reason`` — handed off and the draft's ``handoff_reason``, split on ``:``, ``,``
  and whitespace, contains the expected reason;
- ``lang`` — the reply is written in ``lang`` (read from its text; hand-offs too);
- ``verdict`` — some item of ``verdicts`` has the expected kind and eligibility;
- ``must_mention`` — every entry is in the text (case-insensitive; ``a|b``: either);
- ``must_not`` — no entry (no alternative of one) is in the text;
- ``no_response`` — the draft suggests that no reply is needed (``suggest_no_response``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.facts import DraftReply
from evals.metrics import mean
from evals.queries import EvalQuery

FIELDS = (
    "routed_right", "answered", "handed_off", "handoff_reason", "lang", "verdict",
    "must_mention", "must_not", "no_response",
)
AUTO_PASS = "auto_pass"
_REASON_SEPARATORS = re.compile(r"[:,\s]+")


@dataclass(frozen=True)
class FieldResult:
    """One applicable field of one query: whether the draft holds it, and if not, why."""

    field: str
    passed: bool
    why: str = ""


def suggests_no_response(reply: DraftReply) -> bool:
    # Read defensively: drafts from before the flag existed simply never suggest it.
    return bool(getattr(reply, "suggest_no_response", False))


def mentions(text: str, entry: str) -> bool:
    """Whether ``text`` contains ``entry`` (case-insensitive); ``a|b`` matches either."""
    haystack = text.casefold()
    return any(alt.strip().casefold() in haystack for alt in entry.split("|") if alt.strip())


def reason_tokens(reason: str | None) -> set[str]:
    """``"sensitive:safety,legal"`` → ``{"sensitive", "safety", "legal"}``."""
    return {token for token in _REASON_SEPARATORS.split(reason or "") if token}


def first_cited_article(reply: DraftReply) -> str | None:
    return reply.citations[0].topic_article_id if reply.citations else None


def score_fields(query: EvalQuery, reply: DraftReply) -> list[FieldResult]:
    """Every field of ``query`` that applies, scored on ``reply`` (in :data:`FIELDS` order)."""
    results: list[FieldResult] = []

    def add(name: str, passed: bool, why: str) -> None:
        results.append(FieldResult(name, passed, "" if passed else why))

    handoff_note = f"handed off ({reply.handoff_reason or 'no reason'})"
    if query.expect == "answer":
        if query.article is not None:
            first = first_cited_article(reply)
            accepted = query.accepted_articles
            if reply.handoff:
                why = handoff_note
            else:
                why = f"first citation {first or '(none)'}, expected {' or '.join(accepted)}"
            add("routed_right", not reply.handoff and first in accepted, why)
        add("answered", not reply.handoff, handoff_note)
    else:
        add("handed_off", reply.handoff, "answered instead of handing off")
    if query.handoff_reason is not None:
        expected = query.handoff_reason
        if not reply.handoff:
            why = f"answered, expected a hand-off for {expected}"
        else:
            why = f"hand-off reason {reply.handoff_reason or '(none)'}, expected {expected}"
        add("handoff_reason", reply.handoff and expected in reason_tokens(reply.handoff_reason),
            why)
    if query.lang is not None:
        # The language the reply is *written* in (read from its text), not the language
        # detected in the buyer's message: an English reply to a German buyer fails.
        written = reply_language(reply.text)
        add("lang", written == query.lang, f"reply written in {written}, expected {query.lang}")
    if query.verdict is not None:
        want = query.verdict
        got = ", ".join(f"{v.kind}:{'eligible' if v.eligible else 'not eligible'}"
                        for v in reply.verdicts) or "none"
        add("verdict",
            any(v.kind == want.kind and v.eligible == want.eligible for v in reply.verdicts),
            f"verdicts {got}, expected {want.kind}:"
            f"{'eligible' if want.eligible else 'not eligible'}")
    if query.must_mention:
        missing = [entry for entry in query.must_mention if not mentions(reply.text, entry)]
        add("must_mention", not missing, "missing " + ", ".join(repr(m) for m in missing))
    if query.must_not:
        present = [entry for entry in query.must_not if mentions(reply.text, entry)]
        add("must_not", not present, "contains " + ", ".join(repr(p) for p in present))
    if query.no_response:
        add("no_response", suggests_no_response(reply), "no 'no response needed' suggestion")
    return results


def auto_pass(results: Sequence[FieldResult]) -> bool:
    """Every applicable field holds."""
    return all(result.passed for result in results)


def _rates(items: Sequence[FieldResult]) -> dict[str, Any]:
    return {"n": len(items), "pass_rate": mean(float(r.passed) for r in items)}


def fields_summary(
    scored: Sequence[tuple[EvalQuery, DraftReply, Sequence[FieldResult]]],
    *,
    examples: int = 10,
) -> dict[str, Any]:
    """Pass rate per field (overall and per ``lang``), hand-off reason recall, the auto-pass
    rate and up to ``examples`` failures per field (query text and what was wrong)."""
    by_field: dict[str, list[FieldResult]] = defaultdict(list)
    by_lang: dict[str, dict[str, list[FieldResult]]] = defaultdict(lambda: defaultdict(list))
    by_reason: dict[str, list[bool]] = defaultdict(list)
    failures: dict[str, list[dict[str, str]]] = defaultdict(list)
    passes: list[bool] = []
    no_response_wrongly = 0
    for query, reply, results in scored:
        passed = auto_pass(results)
        passes.append(passed)
        overall = FieldResult(AUTO_PASS, passed)
        for result in results:
            by_field[result.field].append(result)
            if not result.passed and len(failures[result.field]) < examples:
                failures[result.field].append({"text": query.text, "why": result.why})
        if query.lang is not None:
            for result in (*results, overall):
                by_lang[query.lang][result.field].append(result)
        if query.handoff_reason is not None:
            by_reason[query.handoff_reason].append(
                any(r.field == "handoff_reason" and r.passed for r in results)
            )
        if not query.no_response and suggests_no_response(reply):
            no_response_wrongly += 1
    order = {name: position for position, name in enumerate((*FIELDS, AUTO_PASS))}
    return {
        "fields": {name: _rates(by_field[name]) for name in FIELDS if name in by_field},
        "per_lang": {
            lang: {name: _rates(items)
                   for name, items in sorted(groups.items(), key=lambda kv: order[kv[0]])}
            for lang, groups in sorted(by_lang.items())
        },
        "handoff_reason_recall": {
            reason: {"n": len(hits), "recall": mean(float(h) for h in hits)}
            for reason, hits in sorted(by_reason.items())
        },
        "auto_pass": mean(float(p) for p in passes),
        "no_response_suggested_wrongly": no_response_wrongly,
        "field_failures": {name: failures[name] for name in FIELDS if failures.get(name)},
    }


def reply_language(text: str) -> str:
    """The language a reply is written in, read from its text without greeting and sign-off."""
    from bot.understanding.signals import detect_language

    parts = text.split("\n\n")
    body = "\n\n".join(parts[1:-1]) if len(parts) > 2 else text
    return detect_language(body)

