"""The Details modal: everything about a draft the card leaves out, in plain words.

Opened by the card's Details button (``views.open`` with the click's trigger id); it only
reads, so it has no submit button. A pure function of a :class:`CardView`, like the card.
"""

from __future__ import annotations

from typing import Any

from bot.conversations import labels
from bot.facts import DraftReply
from bot.slack.cards import (
    SECTION_LIMIT,
    Block,
    CardView,
    article_url,
    check_line,
    clip,
    escape,
    failed_checks,
    handoff_words,
    percent,
    plain,
    quote,
    section,
)

DETAILS_CALLBACK = "draft_details_view"
_BLOCK_LIMIT = 100  # Slack's most blocks in a modal

View = dict[str, Any]


def _words(code: str) -> str:
    return code.replace("_", " ")


def _about(view: CardView, public_url: str) -> Block:
    reply = view.reply
    parts = [
        f"Confidence {percent(reply.confidence)}",
        f"topic: {escape(', '.join(_words(i) for i in reply.intents[:3]) or 'unknown')}",
        f"buyer's mood: {escape(labels.mood_label(reply.sentiment))}",
        f"written {escape(labels.composer_label(reply.composer))}",
    ]
    if reason := handoff_words(reply):
        parts.append(f"hands over: {escape(reason)}")
    console = f"{public_url.rstrip('/')}/console/drafts/{view.draft_id}"
    return section(
        f"*Draft #{view.draft_id}* · <{console}|open in the console>\n" + " · ".join(parts)
    )


def _messages(view: CardView) -> Block:
    texts = list(view.buyer_messages) or ["(no message text)"]
    count = len(texts)
    title = f"*{escape(view.buyer)}* wrote ({count} message{'s' if count != 1 else ''})"
    body = "\n\n".join(quote(text) for text in texts)
    return section(f"{title}:\n{clip(body, SECTION_LIMIT - len(title) - 10)}")


def _sources(view: CardView, public_url: str) -> Block:
    if not view.reply.citations:
        why = handoff_words(view.reply) or "no article matched"
        return section(f"*Sources*\nNo knowledge-base sources ({escape(why)}).")
    lines = [
        f"• <{article_url(public_url, c.article_id)}|{escape(c.title)}> (revision {c.revision})"
        for c in view.reply.citations
    ]
    return section("*Sources*\n" + "\n".join(dict.fromkeys(lines)))


def _order(view: CardView) -> Block | None:
    order = view.reply.order
    if order is None:
        return None
    lines = [f"*Order {escape(order.order_id)}* · {escape(order.status)}"]
    dates = [
        f"{label} {value.isoformat()}"
        for label, value in (
            ("bought", order.purchase_date),
            ("shipped", order.shipped_at),
            ("expected", order.estimated_delivery),
            ("delivered", order.delivered_at),
        )
        if value is not None
    ]
    if dates:
        lines.append(" · ".join(dates))
    if order.carrier or order.tracking_number:
        lines.append(escape(f"{order.carrier or 'carrier'} {order.tracking_number or ''}".strip()))
    lines += [f"• {item.quantity} × {escape(item.title)}" for item in order.items[:10]]
    return section("\n".join(lines))


def _verdicts(view: CardView) -> Block | None:
    if not view.reply.verdicts:
        return None
    lines = []
    for verdict in view.reply.verdicts:
        icon = ":white_check_mark:" if verdict.eligible else ":x:"
        state = "eligible" if verdict.eligible else "not eligible"
        until = f" until {verdict.deadline.isoformat()}" if verdict.deadline else ""
        lines.append(f"{icon} *{_words(verdict.kind)}: {state}*{until}\n{escape(verdict.text)}")
    return section("*Policy decisions*\n" + "\n".join(lines))


def _checks(view: CardView) -> Block:
    checks = view.checks
    if not checks:
        return section("*Checks*\nNo checks ran.")
    failed = failed_checks(checks)
    passed = [labels.check_label(c.id) for c in checks if c.passed]
    lines = [check_line(check) for check in failed]
    if passed:
        lines.append(f":white_check_mark: {len(passed)} passed: {escape(', '.join(passed))}")
    title = "*Checks of the sent reply*" if view.final_checks is not None else "*Checks*"
    if view.override_reason:
        lines.append(f"Overridden: {escape(view.override_reason)}")
    return section(title + "\n" + "\n".join(lines))


def _language(reply: DraftReply) -> Block:
    """The buyer's and the reply's language; for a foreign reply, which parts are our own
    template wording (trusted) and which are quoted from the KB (to read) — issue 13."""
    text = f"*Language*\nbuyer wrote in {escape(labels.language_label(reply.language))}"
    if reply.reply_language != reply.language:
        text += f" · reply in {escape(labels.language_label(reply.reply_language))}"
    if reply.reply_language != "en" and reply.reply_sources:
        quoted = [part for part in reply.reply_sources if part.origin == "kb"]
        templated = sum(part.origin == "template" for part in reply.reply_sources)
        text += f"\n{templated} part{'s' if templated != 1 else ''} from templates"
        if quoted:
            articles = ", ".join(dict.fromkeys(str(part.article_id) for part in quoted))
            text += f", {len(quoted)} quoted from the KB ({escape(articles)})"
    if reply.untranslated_kb_text:
        count = len(reply.untranslated_kb_text)
        language = labels.language_label(reply.reply_language)
        text += f"\n{count} KB passage{'s' if count != 1 else ''} not in {escape(language)}:"
        text += "\n" + "\n".join(quote(clip(p, 400, note="…")) for p in reply.untranslated_kb_text)
    return section(text)


def details_modal(view: CardView, *, public_url: str) -> View:
    """A read-only modal with what the card leaves out: messages, sources, order, policy,
    every check and the language notes."""
    blocks: list[Block | None] = [
        _about(view, public_url),
        _messages(view),
        _sources(view, public_url),
        _order(view),
        _verdicts(view),
        _checks(view),
        _language(view.reply),
    ]
    shown = [block for block in blocks if block is not None]
    divided: list[Block] = []
    for block in shown:
        if divided:
            divided.append({"type": "divider"})
        divided.append(block)
    return {
        "type": "modal",
        "callback_id": DETAILS_CALLBACK,
        "private_metadata": str(view.draft_id),
        "title": plain("Draft details"),
        "close": plain("Close"),
        "blocks": divided[:_BLOCK_LIMIT],
    }
