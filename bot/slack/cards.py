"""Block Kit for the review card: what an agent needs to decide a draft in seconds.

An open card is four blocks: the buyer's newest message, the draft, one context line
(confidence, due time, sources) and the buttons, with one more block naming the failed
checks when any failed. Order facts, policy decisions, every check and the language notes
are one click away in the Details modal (:mod:`bot.slack.details`). A decided card says who
did what and when and how the checks ended, without the due time or the buttons.

Pure functions of a :class:`CardView` (no Slack calls, no database) so that the card can be
checked in unit tests and re-rendered identically after a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.conversations import labels
from bot.facts import CheckResult, DraftReply

Block = dict[str, Any]

# The five decisions; the action ids are a contract with Slack payloads and the tests.
APPROVE = "draft_approve"
EDIT = "draft_edit"
REJECT = "draft_reject"
ESCALATE = "draft_escalate"
NO_RESPONSE = "draft_no_response"
ACTION_IDS = (APPROVE, EDIT, REJECT, ESCALATE, NO_RESPONSE)
# Reading, not deciding: the Details modal (sources, order, policy, every check, language).
DETAILS = "draft_details"
READ_ACTION_IDS = (DETAILS,)
# After a decision: send again a reply the mail server refused (Amazon inbox, issue 14).
RETRY_SENDING = "mail_retry_sending"
DELIVERY_ACTION_IDS = (RETRY_SENDING,)

SECTION_LIMIT = 3000  # Slack refuses section text longer than this
CONFIRM_TEXT_LIMIT = 300  # and a confirmation dialog's text longer than this
BUYER_MESSAGE_LIMIT = 700  # the newest message on the card; all of them in Details
_MORE_IN_DETAILS = "… (full message under Details)"
_SOURCES_ON_CARD = 3


@dataclass(frozen=True)
class CardView:
    """A draft as the card shows it: the buyer's words, the reply and how it was decided.

    ``final_checks`` are the checks of the text actually sent (an edit is checked again);
    ``override_reason`` is set when a lead sent it despite a failed blocking check.
    """

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
    final_checks: Sequence[CheckResult] | None = None
    override_reason: str | None = None

    @property
    def buyer(self) -> str:
        return self.buyer_name or "A buyer"

    @property
    def edited(self) -> bool:
        return self.final_text is not None and self.final_text != self.reply.text

    @property
    def checks(self) -> Sequence[CheckResult]:
        """The checks that decided: of the sent text when there is one, else of the draft."""
        return self.final_checks if self.final_checks is not None else self.reply.checks


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
    """``13 h 05 min left`` or ``overdue by 2 h 10 min`` (reminders say it; cards show the
    due time, which stays true while the message sits in the channel)."""
    seconds = int((due_at - now).total_seconds())
    minutes = abs(seconds) // 60
    span = f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{span} left" if seconds >= 0 else f"overdue by {span}"


def percent(value: float) -> str:
    """Confidence as the console shows it (``87%``)."""
    return f"{round(value * 100)}%"


def article_url(public_url: str, article_id: str) -> str:
    return f"{public_url.rstrip('/')}/kb/articles/{article_id}"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def failed_checks(checks: Sequence[CheckResult]) -> list[CheckResult]:
    """Failed checks, blocking ones first."""
    return sorted((c for c in checks if not c.passed), key=lambda c: c.severity != "block")


def check_line(check: CheckResult) -> str:
    """One check in plain words with what failed, e.g. ``⛔ *no links* (blocks Approve): …``."""
    name = escape(labels.check_label(check.id))
    if check.passed:
        return f":white_check_mark: {name}"
    if check.severity == "block":
        return f":no_entry: *{name}* (blocks Approve): {escape(check.message)}"
    return f":warning: *{name}*: {escape(check.message)}"


def handoff_words(reply: DraftReply) -> str:
    """Why the draft hands over, in plain words ("" when it does not)."""
    if not reply.handoff:
        return ""
    return ", ".join(labels.handoff_reasons(reply.handoff_reason)) or "needs a person"


# --- the open card ---------------------------------------------------------------------


def _buyer_block(view: CardView) -> Block:
    newest = view.buyer_messages[-1] if view.buyer_messages else "(no message text)"
    earlier = len(view.buyer_messages) - 1
    title = f"*{escape(view.buyer)}* wrote"
    if earlier > 0:
        title += f" (newest of {earlier + 1} messages; all under Details)"
    return section(f"{title}:\n{quote(clip(newest, BUYER_MESSAGE_LIMIT, note=_MORE_IN_DETAILS))}")


def _reply_block(view: CardView) -> Block:
    title, text = "*Draft reply*", view.reply.text
    if view.status == "sent" and view.final_text is not None:
        title, text = ("*Sent reply (edited)*" if view.edited else "*Sent reply*"), view.final_text
    return section(f"{title}\n{escape(clip(text, SECTION_LIMIT - 50))}")


def _sources(view: CardView, public_url: str) -> str:
    citations = list(dict.fromkeys((c.article_id, c.title) for c in view.reply.citations))
    if not citations:
        return "no knowledge-base sources"
    links = [
        f"<{article_url(public_url, article_id)}|{escape(title)}>"
        for article_id, title in citations[:_SOURCES_ON_CARD]
    ]
    more = len(citations) - _SOURCES_ON_CARD
    return "Sources: " + ", ".join(links) + (f" and {more} more" if more > 0 else "")


def _language_note(reply: DraftReply) -> str:
    """``reply in German · 1 KB passage not in German`` ("" for an English reply)."""
    if reply.reply_language == "en" and not reply.untranslated_kb_text:
        return ""
    language = labels.language_label(reply.reply_language)
    note = f"reply in {language}"
    if reply.untranslated_kb_text:
        count = len(reply.untranslated_kb_text)
        note += f" · {count} KB passage{'s' if count != 1 else ''} not in {language}"
    return note


def _context(view: CardView, public_url: str) -> Block:
    """One line: confidence, hand-off reason, due time (open cards), language, sources."""
    parts = [f"Confidence {percent(view.reply.confidence)}"]
    if reason := handoff_words(view.reply):
        parts.append(f"hands over: {escape(reason)}")
    if is_open(view.status):
        parts.append(f"reply due {slack_date(view.due_at)}")
    if language := _language_note(view.reply):
        parts.append(escape(language))
    parts.append(_sources(view, public_url))
    text = clip(" · ".join(parts), SECTION_LIMIT, note="…")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _failed_checks_block(view: CardView) -> Block | None:
    failed = failed_checks(view.reply.checks)
    if not failed:
        return None
    lines = [check_line(check) for check in failed]
    if any(c.severity == "block" for c in failed):
        lines.append("_Approve is refused until the text is fixed: use *Edit*._")
    count = len(failed)
    return section(f"*{count} check{'s' if count != 1 else ''} failed*\n" + "\n".join(lines))


def _opening(text: str) -> str:
    """The reply's first line, or the one after a short salutation ("Hi Maria,")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    if len(lines) > 1 and len(lines[0]) <= 40 and lines[0].endswith(","):
        return f"{lines[0]} {lines[1]}"
    return lines[0]


def approve_confirmation(view: CardView) -> Block:
    """The dialog Slack shows before an Approve click is sent: who gets what."""
    opening = clip(_opening(view.reply.text), 100, note="…")
    return {
        "title": plain("Send this reply to the buyer?"),
        "text": plain(clip(f"To {view.buyer}: “{opening}”", CONFIRM_TEXT_LIMIT, note="…”")),
        "confirm": plain("Send"),
        "deny": plain("Cancel"),
    }


def _buttons(view: CardView) -> Block:
    value = str(view.draft_id)

    def button(action_id: str, label: str, style: str | None = None) -> Block:
        element: Block = {
            "type": "button", "action_id": action_id, "value": value, "text": plain(label),
        }
        if style:
            element["style"] = style
        return element

    approve = button(APPROVE, "Approve", "primary")
    approve["confirm"] = approve_confirmation(view)
    return {
        "type": "actions",
        "block_id": f"draft_actions:{view.draft_id}",
        "elements": [
            approve,
            button(EDIT, "Edit"),
            button(REJECT, "Reject", "danger"),
            button(ESCALATE, "Escalate"),
            button(NO_RESPONSE, "No response needed"),
            button(DETAILS, "Details"),
        ],
    }


# --- the decided card ------------------------------------------------------------------

_OUTCOMES = {
    "sent": ":white_check_mark: *Approved and sent*",
    "rejected": ":x: *Rejected*",
    "escalated": ":arrow_up: *Escalated to a lead* (decide it in the console)",
    "no_response_needed": ":zipper_mouth_face: *No response needed*",
    "superseded": ":leftwards_arrow_with_hook: *Superseded*: the buyer wrote again; "
    "the newer draft is in this thread",
}


def decision_line(view: CardView) -> str:
    """Who decided what and when, e.g. ``Approved and sent by @ana · Mon at 10:02``."""
    outcome = _OUTCOMES.get(view.status, f"*{escape(view.status)}*")
    if view.status == "sent" and view.edited:
        outcome = ":pencil2: *Edited, approved and sent*"
    line = outcome
    if view.status != "superseded":
        line += f" by {mention(view.decided_by)}"
    if view.decided_at is not None:
        line += f" · {slack_date(view.decided_at)}"
    # An override reason is stored as the note too: it is shown with the checks.
    if view.decision_note and view.decision_note != view.override_reason:
        line += f"\n{quote(view.decision_note)}"
    return line


def final_checks_line(view: CardView) -> str:
    """How the checks ended: passed, sent with warnings, or overridden by whom and why."""
    failed = failed_checks(view.checks)
    names = ", ".join(escape(labels.check_label(c.id)) for c in failed)
    if not view.checks:
        return "Checks: none ran"
    if not failed:
        return ":white_check_mark: Checks: all passed"
    blocking = [c for c in failed if c.severity == "block"]
    if view.status == "sent" and blocking and view.override_reason:
        return (
            f":warning: Checks: {names} failed, overridden by {mention(view.decided_by)}: "
            f"{escape(view.override_reason)}"
        )
    if view.status == "sent":
        plural = "s" if len(failed) != 1 else ""
        return f":warning: Checks: sent with {len(failed)} warning{plural}: {names}"
    return f":warning: Checks: {len(failed)} failed: {names}"


def _decision_block(view: CardView) -> Block:
    text = decision_line(view)
    # What reached the buyer always says how its checks ended; a draft that was not sent
    # mentions them only when some failed (often why it was rejected), never "all passed".
    if view.status == "sent" or (view.status != "superseded" and failed_checks(view.checks)):
        text += "\n" + final_checks_line(view)
    return section(text)


def _delivery(view: CardView, notice: DeliveryNotice) -> list[Block]:
    """The reply's fate by e-mail under the decision line; a refusal carries the button."""
    to = f"`{escape(notice.to_address)}`"
    if notice.state == "sent":
        answer = ""
        if notice.server_reply:
            answer = f": {escape(clip(notice.server_reply, 300, note='…'))}"
        return [section(f":incoming_envelope: *Delivered by e-mail* to {to}{answer}")]
    if notice.state == "waiting":
        who = f", as {mention(notice.retried_by)} asked" if notice.retried_by else ""
        return [section(f":hourglass_flowing_sand: *Sending again by e-mail* to {to}{who}…")]
    answer = clip(notice.error or "the mail server refused the reply", 1000, note="…")
    return [
        section(
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
                    "text": plain("Retry sending"),
                }
            ],
        },
    ]


def is_open(status: str) -> bool:
    """Cards of open drafts carry the buttons."""
    return status == "pending_review"


def card_blocks(
    view: CardView, *, public_url: str, delivery: DeliveryNotice | None = None
) -> list[Block]:
    """The card: buttons (and failed checks) while the draft is open; once it is not, who
    decided what and how the checks ended, and under it how the reply fared by e-mail when
    that is worth showing (``delivery``). The due time is a Slack date token rather than a
    countdown, so it stays true while the card sits in the channel."""
    blocks: list[Block] = [_buyer_block(view), _reply_block(view)]
    if is_open(view.status):
        blocks.append(_context(view, public_url))
        if (checks := _failed_checks_block(view)) is not None:
            blocks.append(checks)
        blocks.append(_buttons(view))
        return blocks
    blocks.append(_decision_block(view))
    blocks.append(_context(view, public_url))
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
