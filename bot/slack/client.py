"""The Slack Web API as draftdesk uses it, with retries that honour ``Retry-After``.

Every call goes through :class:`SlackWebApi`: a 429 waits as long as Slack asks, 5xx
answers and network errors back off exponentially (with jitter), and anything else — a
missing channel, a bad token — fails at once. The underlying ``WebClient`` has its own retry
handlers switched off so that one policy, this one, owns the retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from bot.slack.errors import SlackCallFailed

log = logging.getLogger(__name__)

# Slack answers some transient failures with HTTP 200 and one of these errors.
_TRANSIENT_SLACK_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
Block = dict[str, Any]


def build_web_client(*, token: str, base_url: str, timeout: int = 10) -> WebClient:
    """A ``WebClient`` for ``base_url`` without built-in retries (``SlackWebApi`` retries)."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])


def _slack_error(exc: BaseException) -> str | None:
    if isinstance(exc, SlackApiError):
        data = exc.response.data
        if isinstance(data, dict):
            error = data.get("error")
            return str(error) if error is not None else None
    return None


def is_retryable(exc: BaseException) -> bool:
    """429, 5xx, Slack's transient errors and network failures are worth another try."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        return status == 429 or status >= 500 or _slack_error(exc) in _TRANSIENT_SLACK_ERRORS
    # URLError, timeouts, refused and reset connections are all OSErrors.
    return isinstance(exc, OSError | SlackClientError)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The ``Retry-After`` Slack sent with a 429, in seconds (None when absent)."""
    if not isinstance(exc, SlackApiError):
        return None
    headers = exc.response.headers or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


class SlackWebApi:
    """The handful of Web API methods the desk calls, each retried with backoff.

    ``sleep`` is the clock retries wait on; tests pass a recording function so that a
    ``Retry-After: 30`` is honoured without waiting 30 seconds.
    """

    def __init__(
        self,
        *,
        client: WebClient,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self._max_attempts = max_attempts
        self._backoff = wait_random_exponential(multiplier=base_delay, max=max_delay)
        self._max_delay = max_delay
        self._sleep = sleep

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self._max_delay)
        return float(self._backoff(state))

    def _log_retry(self, method: str) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            log.warning(
                "slack %s failed (%s); retry %d in %.1fs", method,
                (_slack_error(exc) if exc else None) or type(exc).__name__, state.attempt_number,
                state.upcoming_sleep,
            )

        return before_sleep

    def call(
        self, method: str, send: Callable[[], Any], *, attempts: int | None = None
    ) -> dict[str, Any]:
        """Run ``send`` (one Web API call) with the retry policy; return the response data."""
        retrying = Retrying(
            stop=stop_after_attempt(attempts or self._max_attempts),
            wait=self._wait,
            retry=retry_if_exception(is_retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry(method),
            reraise=True,
        )
        try:
            response = retrying(send)
        except (SlackApiError, SlackClientError, OSError) as exc:
            slack_error = _slack_error(exc)
            retryable = is_retryable(exc)
            what = slack_error or type(exc).__name__
            raise SlackCallFailed(
                f"slack {method} failed: {what}", method=method, slack_error=slack_error,
                retryable=retryable,
            ) from exc
        data = response.data
        return dict(data) if isinstance(data, Mapping) else {}

    def post_message(
        self, *, channel: str, text: str, blocks: Sequence[Block] | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """``chat.postMessage``; the answer carries the message ``ts`` and ``channel``."""
        return self.call("chat.postMessage", lambda: self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts,
            unfurl_links=False, unfurl_media=False,
        ))

    def update_message(
        self, *, channel: str, ts: str, text: str, blocks: Sequence[Block]
    ) -> dict[str, Any]:
        """``chat.update`` of a message we posted."""
        return self.call("chat.update", lambda: self.client.chat_update(
            channel=channel, ts=ts, text=text, blocks=blocks,
        ))

    def post_ephemeral(
        self, *, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """``chat.postEphemeral``: a note only ``user`` sees."""
        return self.call("chat.postEphemeral", lambda: self.client.chat_postEphemeral(
            channel=channel, user=user, text=text, thread_ts=thread_ts,
        ))

    def open_view(self, *, trigger_id: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """``views.open``. A trigger id lives 3 s, so only one quick retry makes sense."""
        return self.call(
            "views.open", lambda: self.client.views_open(trigger_id=trigger_id, view=dict(view)),
            attempts=2,
        )

    def usergroup_members(self, usergroup: str) -> list[str]:
        """``usergroups.users.list``: the user ids in a user group."""
        data = self.call(
            "usergroups.users.list", lambda: self.client.usergroups_users_list(usergroup=usergroup)
        )
        return [str(user) for user in data.get("users", [])]
