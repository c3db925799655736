"""What the Slack desk needs from settings, checked once.

Apart from :mod:`bot.slack.desk` so that deciding whether Slack is on does not import Bolt:
the web app asks at every start, and most processes run without Slack (issue 17).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.settings import Settings
from bot.slack.errors import SlackNotConfigured

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlackConfig:
    """What the desk needs from settings, checked once."""

    mode: str
    bot_token: str
    app_token: str | None
    signing_secret: str | None
    channel: str
    approvers: tuple[str, ...]
    api_url: str
    public_url: str
    reminder_hours: tuple[float, ...]
    deadline_hours: float
    max_message_chars: int
    summary_hour_utc: int = 9
    tick_seconds: float = 30.0

    @property
    def console_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/console"

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackConfig | None:
        """None when Slack is off or no bot token is set; raises when half configured."""
        if settings.slack_mode == "off":
            return None
        if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
            log.warning("DRAFTDESK_SLACK_MODE=%s but SLACK_BOT_TOKEN is not set: Slack is off",
                        settings.slack_mode)
            return None
        secret = settings.slack_signing_secret
        app_token = settings.slack_app_token
        missing = []
        if not settings.slack_review_channel:
            missing.append("DRAFTDESK_SLACK_REVIEW_CHANNEL")
        if settings.slack_mode == "http" and (secret is None or not secret.get_secret_value()):
            missing.append("SLACK_SIGNING_SECRET")
        if settings.slack_mode == "socket" and (
            app_token is None or not app_token.get_secret_value()
        ):
            missing.append("SLACK_APP_TOKEN")
        if missing:
            raise SlackNotConfigured(
                f"DRAFTDESK_SLACK_MODE={settings.slack_mode} needs {', '.join(missing)}"
            )
        return cls(
            mode=settings.slack_mode,
            bot_token=settings.slack_bot_token.get_secret_value(),
            app_token=app_token.get_secret_value() if app_token else None,
            signing_secret=secret.get_secret_value() if secret else None,
            channel=str(settings.slack_review_channel),
            approvers=tuple(settings.slack_approvers),
            api_url=settings.slack_api_url,
            public_url=settings.public_url,
            reminder_hours=tuple(sorted(settings.slack_reminder_hours)),
            deadline_hours=settings.reply_deadline_hours,
            max_message_chars=settings.max_message_chars,
        )
