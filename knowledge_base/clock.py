"""The clocks code can be given, so that tests control time.

Anything that reads the time takes it as a keyword-only ``clock=`` argument: a
:data:`Clock` for timestamps and deadlines (the real one is :func:`utcnow`), a
:data:`MonotonicClock` for measuring intervals (rate limits, caches; the real one is
``time.monotonic``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""Returns the current time as a timezone-aware UTC datetime."""

MonotonicClock = Callable[[], float]
"""Returns seconds from an arbitrary start that never goes backwards."""


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the real :data:`Clock`)."""
    return datetime.now(UTC)
