"""Bolt listeners: every one acknowledges at once and does its work in a lazy listener.

Slack wants an answer within 3 seconds; applying a decision, re-running checks and calling
the Web API happen after the acknowledgement, on Bolt's listener executor. Only modal
validation (an empty edit, a missing reason, a draft decided meanwhile) runs before the
acknowledgement, because Slack shows those errors inside the modal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from bot.conversations.context import validate_message_text
from bot.conversations.errors import InvalidMessage
from bot.slack.actions import (
    APPROVE,
    ESCALATE,
    NO_RESPONSE,
    REJECT,
    RETRY_SENDING,
    SlackActions,
    SlackDecision,
)
from bot.slack.cards import ACTION_IDS, DELIVERY_ACTION_IDS, DETAILS, READ_ACTION_IDS
from bot.slack.cards import APPROVE as APPROVE_ACTION
from bot.slack.cards import EDIT as EDIT_ACTION
from bot.slack.cards import ESCALATE as ESCALATE_ACTION
from bot.slack.cards import NO_RESPONSE as NO_RESPONSE_ACTION
from bot.slack.cards import REJECT as REJECT_ACTION
from bot.slack.cards import RETRY_SENDING as RETRY_SENDING_ACTION
from bot.slack.modals import (
    EDIT_CALLBACK,
    REASON_BLOCK,
    REJECT_CALLBACK,
    TEXT_BLOCK,
    submitted_text,
)

log = logging.getLogger(__name__)

_DIRECT = {
    APPROVE_ACTION: APPROVE,
    ESCALATE_ACTION: ESCALATE,
    NO_RESPONSE_ACTION: NO_RESPONSE,
    RETRY_SENDING_ACTION: RETRY_SENDING,
}
_MODALS = {EDIT_ACTION: "edit", REJECT_ACTION: "reject"}
Payload = dict[str, Any]


@dataclass(frozen=True)
class Click:
    """A button click on a card, as far as the desk cares."""

    action_id: str
    draft_id: int
    user_id: str
    action_ts: str
    trigger_id: str
    channel: str | None
    thread_ts: str | None

    @property
    def key(self) -> str:
        return f"click:{self.action_ts}:{self.user_id}:{self.action_id}:{self.draft_id}"


def parse_click(body: Payload) -> Click | None:
    """The click in a ``block_actions`` payload (None when it is not one of ours)."""
    try:
        action = body["actions"][0]
        draft_id = int(action["value"])
        user_id = str(body["user"]["id"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    message = body.get("message") or {}
    return Click(
        action_id=str(action.get("action_id")),
        draft_id=draft_id,
        user_id=user_id,
        action_ts=str(action.get("action_ts") or body.get("trigger_id") or ""),
        trigger_id=str(body.get("trigger_id") or ""),
        channel=channel,
        thread_ts=message.get("thread_ts"),
    )


def _draft_id_of(view: Payload) -> int | None:
    try:
        return int(view.get("private_metadata") or "")
    except ValueError:
        return None


def register_listeners(app: App, actions: SlackActions, *, max_message_chars: int) -> None:
    """Wire the five buttons, Details, "Retry sending" and the two modals to ``actions``."""

    def ack_now(ack: Ack) -> None:
        ack()

    def on_click(body: Payload) -> None:
        click = parse_click(body)
        if click is None:
            log.warning("ignored a block action without a draft id")
            return
        if click.action_id == DETAILS:  # reads only: anyone who sees the card may look
            actions.open_details(
                trigger_id=click.trigger_id, draft_id=click.draft_id, user_id=click.user_id,
                channel=click.channel, thread_ts=click.thread_ts,
            )
            return
        if not actions.allowed(
            user_id=click.user_id, channel=click.channel, thread_ts=click.thread_ts
        ):
            return
        if click.action_id in _MODALS:
            actions.open_modal(
                kind=_MODALS[click.action_id],
                trigger_id=click.trigger_id,
                draft_id=click.draft_id,
                user_id=click.user_id,
                channel=click.channel,
                thread_ts=click.thread_ts,
            )
            return
        actions.submit(
            SlackDecision(
                key=click.key,
                draft_id=click.draft_id,
                user_id=click.user_id,
                decision=_DIRECT[click.action_id],
                channel=click.channel,
                thread_ts=click.thread_ts,
            )
        )

    action_ids = (*ACTION_IDS, *READ_ACTION_IDS, *DELIVERY_ACTION_IDS)
    pattern = re.compile("^(" + "|".join(re.escape(a) for a in action_ids) + ")$")
    app.action(pattern)(ack=ack_now, lazy=[on_click])

    def refuse_closed(view: Payload) -> str | None:
        draft_id = _draft_id_of(view)
        if draft_id is None:
            return "This form lost track of its draft; please use the card again."
        return actions.closed_reason(actions.publisher.load(draft_id))

    def edit_input_problem(view: Payload) -> str | None:
        try:
            validate_message_text(
                submitted_text(view, TEXT_BLOCK), max_chars=max_message_chars, what="reply"
            )
        except InvalidMessage as exc:
            return exc.message
        return None

    def reject_input_problem(view: Payload) -> str | None:
        return None if submitted_text(view, REASON_BLOCK) else "Say why the draft is wrong."

    def ack_edit(ack: Ack, view: Payload) -> None:
        problem = edit_input_problem(view) or refuse_closed(view)
        if problem is not None:
            ack(response_action="errors", errors={TEXT_BLOCK: problem})
            return
        ack()

    def ack_reject(ack: Ack, view: Payload) -> None:
        problem = reject_input_problem(view) or refuse_closed(view)
        if problem is not None:
            ack(response_action="errors", errors={REASON_BLOCK: problem})
            return
        ack()

    def submitted(body: Payload, view: Payload, *, decision: str, block_id: str) -> None:
        draft_id = _draft_id_of(view)
        user_id = str((body.get("user") or {}).get("id") or "")
        if draft_id is None or not user_id:
            return
        channel, thread_ts = actions.where_is_card(draft_id)
        if not actions.allowed(user_id=user_id, channel=channel, thread_ts=thread_ts):
            return
        actions.submit(
            SlackDecision(
                key=f"view:{view.get('id')}",
                draft_id=draft_id,
                user_id=user_id,
                decision=decision,
                text=submitted_text(view, block_id),
                channel=channel,
                thread_ts=thread_ts,
            )
        )

    # Bolt runs lazy listeners whatever ack() answered: input refused inside the modal must
    # not be applied (the user fixes it and submits the same view again). A draft decided
    # meanwhile is left to the workflow, which refuses it and the user is told.
    def on_edit(body: Payload, view: Payload) -> None:
        if edit_input_problem(view) is None:
            submitted(body, view, decision=APPROVE, block_id=TEXT_BLOCK)

    def on_reject(body: Payload, view: Payload) -> None:
        if reject_input_problem(view) is None:
            submitted(body, view, decision=REJECT, block_id=REASON_BLOCK)

    app.view(EDIT_CALLBACK)(ack=ack_edit, lazy=[on_edit])
    app.view(REJECT_CALLBACK)(ack=ack_reject, lazy=[on_reject])
