"""Token buckets: bursts, refill, and trusting the server's 429 over our own count."""

from __future__ import annotations

import pytest

from bot.orders.ratelimit import RateLimit, TokenBucket
from tests.fakes import FakeClock


def test_burst_then_steady_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=0.5, burst=3), clock=clock)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() == pytest.approx(2.0)
    clock.advance(1.0)  # half a token has come back
    assert bucket.acquire() == pytest.approx(1.0)
    assert clock.sleeps == [pytest.approx(2.0), pytest.approx(1.0)]


def test_refill_never_exceeds_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=1.0, burst=2), clock=clock)
    bucket.acquire()
    clock.advance(3600)
    assert bucket.available == 2.0


def test_drain_after_a_429() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=0.0167, burst=20), clock=clock)
    bucket.drain()
    assert bucket.acquire() == pytest.approx(1 / 0.0167)


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        TokenBucket(RateLimit(rate=0, burst=1), clock=FakeClock())
    with pytest.raises(ValueError):
        TokenBucket(RateLimit(rate=1, burst=0), clock=FakeClock())
