"""Errors of the Slack review desk, each with a stable ``code``.

::

    SlackDeskError                502
     ├── SlackNotConfigured       503  slack_not_configured  tokens, secret or channel missing
     └── SlackCallFailed          503  slack_unavailable     retries exhausted (429, 5xx, network)
                                  502  slack_api_error       Slack refused (e.g. channel_not_found)
"""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class SlackDeskError(DraftdeskError):
    """Base error of the Slack desk; ``code`` is stable and ``message`` safe to show."""

    code = "slack_error"
    status = 502

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class SlackNotConfigured(SlackDeskError):
    """A Slack mode is on but a token, the signing secret or the channel is missing."""

    code = "slack_not_configured"
    status = 503


class SlackCallFailed(SlackDeskError):
    """A Web API call failed for good: Slack said no, or kept failing until we gave up."""

    code = "slack_api_error"

    def __init__(
        self, message: str, *, method: str, slack_error: str | None, retryable: bool
    ) -> None:
        super().__init__(message, code="slack_unavailable" if retryable else "slack_api_error")
        self.status = 503 if retryable else 502
        self.method = method
        self.slack_error = slack_error
        self.retryable = retryable
