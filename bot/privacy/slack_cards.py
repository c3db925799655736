"""Slack review cards after a purge or erasure: the message we posted is replaced
(``chat.update``) by a card that shows no buyer data, through the desk's Slack client."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.privacy.erasure import SlackCardRef

REDACTED_TEXT = "Buyer data removed (retention or erasure request). The decision is kept."
REDACTED_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": f":lock: _{REDACTED_TEXT}_"}},
]


class MessageUpdater(Protocol):
    """The one Slack Web API call needed (``bot.slack.client.SlackWebApi`` has it)."""

    def update_message(
        self, *, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]]
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class RedactSlackCard:
    """A :class:`bot.privacy.service.SlackCardRedactor` over the Slack Web API."""

    api: MessageUpdater

    def __call__(self, card: SlackCardRef) -> None:
        self.api.update_message(
            channel=card.channel, ts=card.ts, text=REDACTED_TEXT, blocks=REDACTED_BLOCKS
        )
