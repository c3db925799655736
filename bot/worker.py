"""The drafting worker: claim a conversation, draft outside any transaction, store the draft.

Runs as a thread inside the web process in the embedded default (``worker_in_process``) and
as ``draftdesk worker`` processes when scaled out on PostgreSQL. Failures retry with
exponential backoff (attempts are counted in the row, so they survive restarts); after
``worker_max_attempts`` the messages become ``needs_manual_reply`` and show up for agents.
While a job is drafted, a heartbeat thread renews its claim's lease, so a short lease (30 s
by default) is safe for slow drafts and a dead worker's job is retaken within it.

With a backlog, a worker claims up to ``batch_size`` conversations at once and has the
drafter embed all their texts in one model call before drafting them one by one (on a CPU
one padded batch costs much less than as many single calls; see ``make bench``).
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
from bot.conversations.schemas import DraftJob
from bot.conversations.service import Workflow
from bot.drafting.interface import Drafter, PreparesBatches

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
        batch_size: int = 4,
    ) -> None:
        self.workflow = workflow
        self.batch_size = max(1, batch_size)
        self.drafter = drafter or workflow.drafter
        self.poll_seconds = poll_seconds
        # Three beats per lease: one lost beat (a slow database) does not lose the claim.
        self.heartbeat_seconds = heartbeat_seconds or workflow.config.worker_lease_seconds / 3
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        workflow.add_wakeup(self._wake.set)

    def run_once(self) -> int:
        """Draft the claimed conversations (one, or a batch when work is waiting); returns
        how many (0 when nothing could be claimed)."""
        jobs = self._claim()
        if not jobs:
            return 0
        waiting = list(jobs)

        def renew_waiting() -> bool:
            # Every claim of the batch not drafted yet is renewed (the last job waits for
            # the others); a lost one is dropped, the beat goes on while any is held.
            held = [job for job in list(waiting) if queue.renew_claim(self.workflow.ctx, job)]
            return bool(held)

        heartbeat = LeaseHeartbeat(renew_waiting, interval_seconds=self.heartbeat_seconds)
        with heartbeat:
            self._prepare(jobs)
            try:
                for job in jobs:
                    self._draft(job)
                    waiting.remove(job)
            finally:
                if len(jobs) > 1 and isinstance(self.drafter, PreparesBatches):
                    self.drafter.discard_prepared()
        return len(jobs)

    def _claim(self) -> list[DraftJob]:
        jobs: list[DraftJob] = []
        while len(jobs) < self.batch_size and not self._stop.is_set():
            job = self.workflow.claim_next_job(worker_id=self.worker_id)
            if job is None:
                break
            jobs.append(job)
        return jobs

    def _prepare(self, jobs: list[DraftJob]) -> None:
        if len(jobs) < 2 or not isinstance(self.drafter, PreparesBatches):
            return
        try:
            self.drafter.prepare([job.request for job in jobs])
        except Exception as exc:  # each draft embeds its own texts instead
            log.warning("preparing a batch of %d drafts failed: %s", len(jobs),
                        type(exc).__name__, exc_info=exc)

    def _draft(self, job: DraftJob) -> None:
        try:
            reply = self.drafter.draft(job.request)
        except Exception as exc:  # any drafting failure is retried, then handed to a person
            log.warning("drafting %s failed (attempt %d): %s", job.conversation_id, job.attempt,
                        type(exc).__name__, exc_info=exc)
            self.workflow.record_failure(job, error=f"{type(exc).__name__}: {exc}")
            return
        self.workflow.store_draft(job, reply)

    def run_until_idle(self, *, max_jobs: int | None = None) -> int:
        """Process claimable work until none is left (tests, ``--exit-when-idle``); returns
        how many conversations were drafted."""
        done = 0
        while (max_jobs is None or done < max_jobs) and not self._stop.is_set():
            drafted = self.run_once()
            if not drafted:
                break
            done += drafted
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

