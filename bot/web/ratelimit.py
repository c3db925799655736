"""In-memory sliding-window rate limits for the public (widget) endpoints.

Good for the embedded single-process mode. Scaled out behind a proxy, each API process
counts on its own (so the effective limit is N × the setting); put a shared limiter in the
proxy for strict limits.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque

from knowledge_base.clock import MonotonicClock


class SlidingWindowLimiter:
    """At most ``limit`` hits per key within any ``window_seconds``; ``limit <= 0`` disables."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float = 60.0,
        clock: MonotonicClock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count a hit; None when allowed, else whole seconds until the next is allowed."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = deque()
                self._hits[key] = hits
                if len(self._hits) > self._max_keys:
                    self._hits.popitem(last=False)  # forget the least recently seen key
            else:
                self._hits.move_to_end(key)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(1, math.ceil(hits[0] + self.window - now))
            hits.append(now)
            return None
