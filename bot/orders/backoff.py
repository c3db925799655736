"""How long to wait before retrying a marketplace call: the server's Retry-After when it
sent one, else exponential back-off (1, 2, 4 … s), never longer than ``max_backoff``."""

from __future__ import annotations

from tenacity import RetryCallState


def wait_seconds(state: RetryCallState, *, max_backoff: float) -> float:
    error = state.outcome.exception() if state.outcome is not None else None
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int | float):
        return min(float(retry_after), max_backoff)
    return float(min(2 ** (state.attempt_number - 1), max_backoff))
