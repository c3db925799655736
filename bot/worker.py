"""The drafting worker: claim a conversation, draft outside any transaction, store the draft.

Runs as a thread inside the web process in the embedded default (``worker_in_process``) and
as ``draftdesk worker`` processes when scaled out on PostgreSQL. Failures retry with
exponential backoff (attempts are counted in the row, so they survive restarts); after
``worker_max_attempts`` the messages become ``needs_manual_reply`` and show up for agents.
While a job is drafted, a heartbeat thread renews its claim's lease, so a short lease (30 s
by default) is safe for slow drafts and a dead worker's job is retaken within it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from types import TracebackType

from bot.conversations import queue
from bot.conversations.service import Workflow
from bot.drafting.interface import Drafter

log = logging.getLogger(__name__)


class LeaseHeartbeat:
    """Calls ``renew`` every ``interval_seconds`` on its own thread while the ``with`` block
    runs; stops early once ``renew`` says the claim is no longer held."""

    def __init__(self, renew: Callable[[], bool], *, interval_seconds: float) -> None:
        self._renew = renew
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._renew():
                    log.info("claim lost while drafting; the draft will be discarded")
                    return
            except Exception:  # a database hiccup: the next beat tries again within the lease
                log.warning("renewing a claim failed; retrying at the next beat", exc_info=True)


class DraftingWorker:
    """Drafts queued conversations one at a time until stopped."""

    def __init__(
        self,
        *,
        workflow: Workflow,
        drafter: Drafter | None = None,
        poll_seconds: float = 0.5,
        worker_id: str | None = None,
        heartbeat_seconds: float | None = None,
    ) -> None:
        self.workflow = workflow
        self.drafter = drafter or workflow.drafter
        self.poll_seconds = poll_seconds
        # Three beats per lease: one lost beat (a slow database) does not lose the claim.
        self.heartbeat_seconds = heartbeat_seconds or workflow.config.worker_lease_seconds / 3
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        workflow.add_wakeup(self._wake.set)

    def run_once(self) -> bool:
        """Draft one claimed conversation; False when nothing could be claimed."""
        job = self.workflow.claim_next_job(worker_id=self.worker_id)
        if job is None:
            return False
        heartbeat = LeaseHeartbeat(
            lambda: queue.renew_claim(self.workflow.ctx, job),
            interval_seconds=self.heartbeat_seconds,
        )
        try:
            with heartbeat:
                reply = self.drafter.draft(job.request)
        except Exception as exc:  # any drafting failure is retried, then handed to a person
            log.warning("drafting %s failed (attempt %d): %s", job.conversation_id, job.attempt,
                        type(exc).__name__, exc_info=exc)
            self.workflow.record_failure(job, error=f"{type(exc).__name__}: {exc}")
            return True
        self.workflow.store_draft(job, reply)
        return True

    def run_until_idle(self, *, max_jobs: int | None = None) -> int:
        """Process claimable work until none is left (tests, ``--exit-when-idle``)."""
        done = 0
        while (max_jobs is None or done < max_jobs) and not self._stop.is_set():
            if not self.run_once():
                break
            done += 1
        return done

    def run_forever(self) -> None:
        """Poll until :meth:`stop`; a new message wakes the worker at once."""
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # a database hiccup must not kill the worker thread
                log.exception("worker loop error; retrying after a pause")
                worked = False
            if not worked:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def start(self) -> None:
        """Run :meth:`run_forever` on a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever, name="drafting-worker", daemon=True
        )
        self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

