"""A thread pool that knows when it is idle (for orderly shutdown and for tests)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class TrackedExecutor(ThreadPoolExecutor):
    """``ThreadPoolExecutor`` + :meth:`wait_idle`; failures are logged, never swallowed silently."""

    def __init__(self, *, max_workers: int, name: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self._pending = 0
        self._idle = threading.Condition()

    def submit(  # type: ignore[override]
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        with self._idle:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any] | None) -> None:
        if future is not None and not future.cancelled():
            error = future.exception()
            if error is not None:
                log.error("background Slack task failed", exc_info=error)
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every submitted task finished (including ones they submitted)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)
