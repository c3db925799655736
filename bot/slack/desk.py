"""The Slack desk assembled: configuration, the Bolt app, notifier, scheduler, Socket Mode.

:class:`SlackDesk` is built once per process from settings and the shared services; its
``start`` registers the card notifier with the workflow and starts the scheduler (and the
Socket Mode connection in ``socket`` mode); ``stop`` undoes all of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.service import Workflow
from bot.slack.actions import SlackActions
from bot.slack.approvers import ApproverDirectory
from bot.slack.client import SlackWebApi, build_web_client
from bot.slack.config import SlackConfig
from bot.slack.executor import TrackedExecutor
from bot.slack.listeners import register_listeners
from bot.slack.publisher import CardPublisher
from bot.slack.schedule import SlackScheduler, send_daily_summary, send_reminders
from knowledge_base.clock import Clock, utcnow

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def build_bolt_app(
    *, client: WebClient, signing_secret: str | None, executor: TrackedExecutor
) -> App:
    """A Bolt app with request verification on (bad or stale signatures get 401).

    The token is not checked at construction (``auth.test`` runs on the first request),
    so the web app starts even while Slack is unreachable.
    """
    return App(
        name="draftdesk",
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=True,
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=executor,
    )


class SlackNotifier:
    """The workflow's notifier for Slack: hands card work to the desk's card thread."""

    def __init__(self, publisher: CardPublisher, *, queue: TrackedExecutor) -> None:
        self._publisher = publisher
        self._queue = queue

    def draft_ready(self, draft_id: int) -> None:
        self._queue.submit(self._publisher.sync, draft_id)

    def draft_decided(self, draft_id: int) -> None:
        self._queue.submit(self._publisher.sync, draft_id)


class SlackDesk:
    """Everything Slack in one process."""

    def __init__(
        self,
        config: SlackConfig,
        *,
        workflow: Workflow,
        session_factory: sessionmaker[Session],
        web_client: WebClient | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.config = config
        self.workflow = workflow
        self.clock = clock
        self._stopping = threading.Event()
        self._tick_queued = threading.Event()
        client = web_client or build_web_client(token=config.bot_token, base_url=config.api_url)
        # Retry waits end early on shutdown: the card outbox picks the work up next start.
        self.api = SlackWebApi(client=client, sleep=sleep or self._wait_unless_stopping)
        # One thread for cards, reminders and summaries: card work never races itself.
        self.card_queue = TrackedExecutor(max_workers=1, name="slack-cards")
        self.listener_executor = TrackedExecutor(max_workers=8, name="slack-listeners")
        self.approvers = ApproverDirectory(entries=config.approvers, api=self.api)
        self.publisher = CardPublisher(
            api=self.api, workflow=workflow, session_factory=session_factory,
            channel=config.channel, public_url=config.public_url, clock=clock,
            lease_seconds=900.0,
        )
        self.actions = SlackActions(
            workflow=workflow, api=self.api, approvers=self.approvers, publisher=self.publisher,
            session_factory=session_factory, console_url=config.console_url, clock=clock,
        )
        self.notifier = SlackNotifier(self.publisher, queue=self.card_queue)
        self.bolt = build_bolt_app(
            client=client, signing_secret=config.signing_secret, executor=self.listener_executor
        )
        register_listeners(self.bolt, self.actions, max_message_chars=config.max_message_chars)
        self._session_factory = session_factory
        self._scheduler: SlackScheduler | None = None
        self._socket: Any = None
        self._socket_lock = threading.Lock()
        self._connecting: threading.Thread | None = None

    def _wait_unless_stopping(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    @classmethod
    def from_services(
        cls, config: SlackConfig, services: Services, **keywords: Any
    ) -> SlackDesk:
        """The desk over a process's shared :class:`~bot.services.Services`.

        Web API retries wait with ``services.retry_sleep`` when one is set.
        """
        if services.retry_sleep is not None:
            keywords.setdefault("sleep", services.retry_sleep)
        return cls(config, workflow=services.workflow, session_factory=services.session_factory,
                   **keywords)

    def start(self, *, scheduler: bool = True, socket_mode: bool | None = None) -> None:
        """Register the notifier; start the scheduler and (socket mode) the connection."""
        if not self.approvers.configured:
            log.warning("DRAFTDESK_SLACK_APPROVERS is empty: nobody can decide from Slack")
        if self.notifier not in self.workflow.notifiers:
            self.workflow.notifiers.append(self.notifier)
        if scheduler and self._scheduler is None:
            self._scheduler = SlackScheduler(
                self.tick, interval=self.config.tick_seconds, clock=self.clock
            )
            self._scheduler.start()
        if socket_mode if socket_mode is not None else self.config.mode == "socket":
            self._connecting = threading.Thread(
                target=self._connect_socket, name="slack-socket-connect", daemon=True
            )
            self._connecting.start()

    def _connect_socket(self) -> None:
        """Open the Socket Mode connection, retrying with backoff while Slack is unreachable.

        Runs on its own thread so that ``draftdesk serve`` starts even when Slack does not
        answer; once connected, the SDK reconnects by itself.
        """
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        delay = 1.0
        while not self._stopping.is_set():
            handler: Any = SocketModeHandler(self.bolt, app_token=self.config.app_token)
            try:
                handler.connect()
            except Exception as exc:  # any SDK or network failure: try again later
                log.warning("Slack Socket Mode connection failed (%s); retry in %.0fs",
                            type(exc).__name__, delay)
                handler.close()
                self._stopping.wait(delay)
                delay = min(delay * 2, 300.0)
                continue
            with self._socket_lock:
                if self._stopping.is_set():
                    handler.close()
                    return
                self._socket = handler
            log.info("Slack Socket Mode connected")
            return

    def stop_scheduler(self) -> None:
        """Stop the periodic work (``run_due_work`` still runs when called)."""
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None

    def stop(self) -> None:
        """Disconnect, stop the scheduler and let queued card work finish."""
        if self.notifier in self.workflow.notifiers:
            self.workflow.notifiers.remove(self.notifier)
        self._stopping.set()
        with self._socket_lock:
            socket, self._socket = self._socket, None
        if socket is not None:
            socket.close()
        if self._connecting is not None:
            self._connecting.join(timeout=10)
            self._connecting = None
        self.stop_scheduler()
        # Decisions already acknowledged are finished; queued card work is not needed (the
        # cards table remembers what is owed).
        self.listener_executor.shutdown(wait=True)
        self.card_queue.shutdown(wait=True, cancel_futures=True)

    def tick(self, now: datetime) -> None:
        """Queue the periodic work on the card thread (once: ticks never pile up)."""
        if self._tick_queued.is_set():
            return
        self._tick_queued.set()

        def run() -> None:
            try:
                self.run_due_work(now)
            finally:
                self._tick_queued.clear()

        self.card_queue.submit(run)

    def run_due_work(self, now: datetime) -> None:
        """Retry owed cards, resume interrupted decisions, send reminders and the summary."""
        self.publisher.reconcile(now)
        self.actions.resume_stalled(now)
        send_reminders(
            session_factory=self._session_factory, api=self.api, approvers=self.approvers,
            now=now, reminder_hours=self.config.reminder_hours,
            deadline_hours=self.config.deadline_hours,
        )
        send_daily_summary(
            session_factory=self._session_factory, api=self.api, channel=self.config.channel,
            now=now, hour_utc=self.config.summary_hour_utc,
        )

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until listeners, then the card work they caused, are done (tests; shutdown)."""
        return self.listener_executor.wait_idle(timeout) and self.card_queue.wait_idle(timeout)
