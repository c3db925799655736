"""Rate limits of the public endpoints and of sign-in, counted where every process sees them.

The counts live in a ``limits`` storage: in memory for the embedded single process
(``DRAFTDESK_RATE_LIMIT_STORAGE_URL=memory://``, the default), or Redis when several API
processes run behind a proxy (``redis://host:6379/0``), so the limit holds for all of them
together. Windows are moving (exact) one-minute windows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


def open_storage(url: str) -> Storage:
    """The counters' storage for a ``limits`` storage URL (``memory://``, ``redis://…``)."""
    storage = storage_from_string(url)
    if not isinstance(storage, Storage):
        raise ValueError(f"{url.split(':', 1)[0]}: an async storage cannot count here")
    return storage


class RateLimit:
    """At most ``per_minute`` hits per key in any minute; ``per_minute <= 0`` disables it."""

    def __init__(
        self, *, storage: Storage, namespace: str, per_minute: int,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self._namespace = namespace
        self._limiter = MovingWindowRateLimiter(storage)
        self._item: RateLimitItem = RateLimitItemPerMinute(max(per_minute, 1))
        self._wall_clock = wall_clock

    def _retry_after(self, key: str) -> int:
        stats = self._limiter.get_window_stats(self._item, self._namespace, key)
        return max(1, math.ceil(stats.reset_time - self._wall_clock()))

    def hit(self, key: str) -> int | None:
        """Count a hit; None when allowed, else whole seconds until the next is allowed."""
        if self.per_minute <= 0:
            return None
        if self._limiter.hit(self._item, self._namespace, key):
            return None
        return self._retry_after(key)

    def blocked(self, key: str) -> int | None:
        """Without counting: None when a hit would be allowed, else seconds to wait."""
        if self.per_minute <= 0 or self._limiter.test(self._item, self._namespace, key):
            return None
        return self._retry_after(key)
