"""Token buckets with an injectable clock, so rate limits are honoured and testable."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol


class RateLimitClock(Protocol):
    """The two things rate limiting needs from time; tests pass a fake that never sleeps."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class RateLimit:
    """A documented usage plan: ``rate`` requests per second, bursts of up to ``burst``."""

    rate: float
    burst: int


class TokenBucket:
    """Starts full (``burst`` tokens) and refills at ``rate`` tokens per second."""

    def __init__(self, limit: RateLimit, *, clock: RateLimitClock) -> None:
        if limit.rate <= 0 or limit.burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self._limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(float(self._limit.burst), self._tokens + elapsed * self._limit.rate)
        self._stamp = now

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited."""
        with self._lock:
            self._refill()
            waited = 0.0
            if self._tokens < 1.0:
                waited = (1.0 - self._tokens) / self._limit.rate
                self._clock.sleep(waited)
                self._refill()
                # Float rounding must not make a caller that has waited long enough wait again.
                self._tokens = max(self._tokens, 1.0)
            self._tokens -= 1.0
            return waited

    def drain(self) -> None:
        """Empty the bucket: the server said we are over the limit, so trust it over our count."""
        with self._lock:
            self._refill()
            self._tokens = 0.0

    @property
    def available(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens
