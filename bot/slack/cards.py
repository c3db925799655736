"""Block Kit for the review card: everything needed to decide a draft in seconds.

Pure functions of a :class:`CardView` (no Slack calls, no database) so that the card can be
checked in unit tests and re-rendered identically after a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.facts import DraftReply

Block = dict[str, Any]

# The five decisions; the action ids are a contract with Slack payloads and the tests.
APPROVE = "draft_approve"
EDIT = "draft_edit"
REJECT = "draft_reject"
ESCALATE = "draft_escalate"
NO_RESPONSE = "draft_no_response"
ACTION_IDS = (APPROVE, EDIT, REJECT, ESCALATE, NO_RESPONSE)
# After a decision: send again a reply the mail server refused (Amazon inbox, issue 14).
RETRY_SENDING = "mail_retry_sending"
DELIVERY_ACTION_IDS = (RETRY_SENDING,)

SECTION_LIMIT = 3000  # Slack refuses section text longer than this
_HEADER_LIMIT = 150


@dataclass(frozen=True)
class CardView:
    """A draft as the card shows it: the buyer's words, the reply and how it was decided."""

    draft_id: int
    conversation_id: str
    buyer_name: str | None
    buyer_messages: Sequence[str]
    reply: DraftReply
    due_at: datetime
    status: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    final_text: str | None = None

    @property
    def buyer(self) -> str:
        return self.buyer_name or "A buyer"

    @property
    def edited(self) -> bool:
        return self.final_text is not None and self.final_text != self.reply.text


@dataclass(frozen=True)
class DeliveryNotice:
    """How an approved reply fared by e-mail: ``failed`` (refused for good, with the
    server's answer), ``waiting`` (queued again) or ``sent``."""

    state: str
    to_address: str
    error: str | None = None
    server_reply: str | None = None
    retried_by: str | None = None

    @property
    def failed(self) -> bool:
        return self.state == "failed"


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, *, note: str = "… (truncated, full text in the console)") -> str:
    """Shorten ``text`` to ``limit`` characters, saying so."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(note))].rstrip() + note


def quote(text: str) -> str:
    """Quote every line (Slack's ``>``), escaping markup first."""
    return "\n".join(f">{line}" for line in escape(text).splitlines() or [""])


def mention(actor: str | None) -> str:
    """``slack:U123`` becomes a mention; console users are shown by name."""
    if not actor:
        return "someone"
    if actor.startswith("slack:"):
        return f"<@{actor.removeprefix('slack:')}>"
    return escape(actor)


def slack_date(moment: datetime) -> str:
    """A timestamp each reader sees in their own time zone (with a UTC fallback)."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def time_left(due_at: datetime, now: datetime) -> str:
    """``13 h 05 min left`` or ``overdue by 2 h 10 min``."""
    seconds = int((due_at - now).total_seconds())
    minutes = abs(seconds) // 60
    span = f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{span} left" if seconds >= 0 else f"overdue by {span}"


def article_url(public_url: str, article_id: str) -> str:
    return f"{public_url.rstrip('/')}/kb/articles/{article_id}"


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def _facts(view: CardView, now: datetime) -> Block:
    reply = view.reply
    topic = ", ".join(reply.intents[:3]) or "unknown"
    kind = "hand-off" if reply.handoff else "answer"
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": f"*Confidence*\n{reply.confidence:.2f} ({kind})"},
            {"type": "mrkdwn", "text": f"*Topic*\n{escape(topic)}"},
            {
                "type": "mrkdwn",
                "text": f"*Language · mood*\n{_languages(reply)} · {reply.sentiment}",
            },
            {
                "type": "mrkdwn",
                "text": f"*Reply due*\n{slack_date(view.due_at)} ({time_left(view.due_at, now)})",
            },
        ],
    }


def _languages(reply: DraftReply) -> str:
    """"de", or "de · reply de · 1 passage not in de" when the KB text is not translated."""
    text = reply.language
    if reply.reply_language != reply.language:
        text += f" · reply {reply.reply_language}"
    if reply.untranslated_kb_text:
        count = len(reply.untranslated_kb_text)
        text += f" · {count} KB passage{'s' if count > 1 else ''} not in {reply.reply_language}"
    if reply.reply_language != "en" and reply.reply_sources:
        # Issue 13: which parts the agent can trust (our templates) and which to read.
        quoted = [part for part in reply.reply_sources if part.origin == "kb"]
        templated = sum(part.origin == "template" for part in reply.reply_sources)
        text += f" · {templated} part{'s' if templated != 1 else ''} from templates"
        if quoted:
            articles = ", ".join(dict.fromkeys(str(part.article_id) for part in quoted))
            text += f", {len(quoted)} quoted from the KB ({escape(articles)})"
    return text


def _sources(view: CardView, public_url: str) -> Block:
    if not view.reply.citations:
        reason = view.reply.handoff_reason or "no article matched"
        return _section(f"*Sources*\nnone ({escape(reason)})")
    lines = [
        f"• <{article_url(public_url, c.article_id)}|{escape(c.title)}> (revision {c.revision})"
        for c in view.reply.citations
    ]
    return _section("*Sources*\n" + "\n".join(lines))


def _order(view: CardView) -> Block | None:
    order = view.reply.order
    if order is None:
        return None
    parts = [f"`{escape(order.order_id)}` · {escape(order.status)}"]
    for label, value in (
        ("purchased", order.purchase_date),
        ("shipped", order.shipped_at),
        ("expected", order.estimated_delivery),
        ("delivered", order.delivered_at),
    ):
        if value is not None:
            parts.append(f"{label} {value.isoformat()}")
    if order.carrier or order.tracking_number:
        parts.append(escape(f"{order.carrier or 'carrier'} {order.tracking_number or ''}".strip()))
    items = "\n".join(f"• {item.quantity} × {escape(item.title)}" for item in order.items[:5])
    return _section("*Order*\n" + " · ".join(parts) + (f"\n{items}" if items else ""))


def _verdicts(view: CardView) -> Block | None:
    if not view.reply.verdicts:
        return None
    lines = [
        f"{':white_check_mark:' if v.eligible else ':x:'} *{v.kind}*: {escape(v.text)}"
        for v in view.reply.verdicts
    ]
    return _section("*Policy*\n" + "\n".join(lines))


def _checks(view: CardView) -> Block:
    failed = [c for c in view.reply.checks if not c.passed]
    if not failed:
        return _section("*Checks*\n:white_check_mark: all passed")
    lines = []
    for check in sorted(failed, key=lambda c: c.severity != "block"):
        if check.severity == "block":
            lines.append(f":no_entry: *BLOCKING* `{check.id}`: {escape(check.message)}")
        else:
            lines.append(f":warning: `{check.id}`: {escape(check.message)}")
    if any(c.severity == "block" for c in failed):
        lines.append("_Approve is refused until the text is fixed: use *Edit*._")
    return _section("*Checks*\n" + "\n".join(lines))


def _buttons(draft_id: int) -> Block:
    value = str(draft_id)

    def button(action_id: str, label: str, style: str | None = None) -> Block:
        element: Block = {
            "type": "button",
            "action_id": action_id,
            "value": value,
            "text": {"type": "plain_text", "text": label},
        }
        if style:
            element["style"] = style
        return element

    return {
        "type": "actions",
        "block_id": f"draft_actions:{draft_id}",
        "elements": [
            button(APPROVE, "Approve", "primary"),
            button(EDIT, "Edit"),
            button(REJECT, "Reject", "danger"),
            button(ESCALATE, "Escalate"),
            button(NO_RESPONSE, "No response needed"),
        ],
    }


_OUTCOMES = {
    "sent": ":white_check_mark: *Approved and sent*",
    "rejected": ":x: *Rejected*",
    "escalated": ":arrow_up: *Escalated to a lead* (decide it in the console)",
    "no_response_needed": ":zipper_mouth_face: *No response needed*",
    "superseded": ":leftwards_arrow_with_hook: *Superseded*: the buyer wrote again; "
    "the newer draft is in this thread",
}


def decision_line(view: CardView) -> str:
    """Who decided what and when, e.g. ``Approved and sent by @ana on Mon at 10:02``."""
    outcome = _OUTCOMES.get(view.status, f"*{escape(view.status)}*")
    if view.status == "sent" and view.edited:
        outcome = ":pencil2: *Edited, approved and sent*"
    line = outcome
    if view.status != "superseded":
        line += f" by {mention(view.decided_by)}"
    if view.decided_at is not None:
        line += f" · {slack_date(view.decided_at)}"
    if view.decision_note:
        line += f"\n{quote(view.decision_note)}"
    return line


def _delivery(view: CardView, notice: DeliveryNotice) -> list[Block]:
    """The reply's fate by e-mail under the decision line; a refusal carries the button."""
    to = f"`{escape(notice.to_address)}`"
    if notice.state == "sent":
        answer = ""
        if notice.server_reply:
            answer = f": {escape(clip(notice.server_reply, 300, note='…'))}"
        return [_section(f":incoming_envelope: *Delivered by e-mail* to {to}{answer}")]
    if notice.state == "waiting":
        who = f", as {mention(notice.retried_by)} asked" if notice.retried_by else ""
        return [_section(f":hourglass_flowing_sand: *Sending again by e-mail* to {to}{who}…")]
    answer = clip(notice.error or "the mail server refused the reply", 1000, note="…")
    return [
        _section(
            f":warning: *Not delivered by e-mail* to {to}. The mail server answered:\n"
            f"{quote(answer)}\nFix what it names, then send it again: it goes out once, "
            f"with its original Message-ID."
        ),
        {
            "type": "actions",
            "block_id": f"delivery_actions:{view.draft_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": RETRY_SENDING,
                    "value": str(view.draft_id),
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Retry sending"},
                }
            ],
        },
    ]


def is_open(status: str) -> bool:
    """Cards of open drafts carry the buttons."""
    return status == "pending_review"


def card_blocks(
    view: CardView, *, public_url: str, now: datetime, delivery: DeliveryNotice | None = None
) -> list[Block]:
    """The card: buttons while the draft is open, the decision line once it is not, and
    under it how the reply fared by e-mail when that is worth showing (``delivery``)."""
    buyer_text = "\n\n".join(view.buyer_messages) or "(no message text)"
    header = clip(f"Draft reply to {view.buyer} · #{view.draft_id}", _HEADER_LIMIT, note="…")
    reply_title = "*Draft reply*"
    reply_text = view.reply.text
    if view.status == "sent" and view.edited and view.final_text is not None:
        reply_title, reply_text = "*Sent reply (edited)*", view.final_text
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        _section(f"*{escape(view.buyer)}* wrote:\n{quote(clip(buyer_text, SECTION_LIMIT - 200))}"),
        _section(f"{reply_title}\n{escape(clip(reply_text, SECTION_LIMIT - 50))}"),
        _facts(view, now),
        _sources(view, public_url),
    ]
    blocks += [b for b in (_order(view), _verdicts(view)) if b is not None]
    blocks.append(_checks(view))
    console = f"{public_url.rstrip('/')}/console"
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"draft {view.draft_id} · conversation `{view.conversation_id}` · "
                    f"<{console}|open the console>",
                }
            ],
        }
    )
    if is_open(view.status):
        blocks.append(_buttons(view.draft_id))
    else:
        blocks.append(_section(decision_line(view)))
        if delivery is not None:
            blocks += _delivery(view, delivery)
    return blocks


def card_text(view: CardView, *, delivery: DeliveryNotice | None = None) -> str:
    """The notification text (and the fallback for clients without blocks)."""
    if is_open(view.status):
        return clip(f"Draft reply to {view.buyer} waits for review (#{view.draft_id})", 300)
    if delivery is not None and delivery.failed:
        return clip(
            f"Draft #{view.draft_id} to {view.buyer}: {view.status}, but NOT DELIVERED by e-mail",
            300,
        )
    return clip(f"Draft #{view.draft_id} to {view.buyer}: {view.status}", 300)
