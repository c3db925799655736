"""The privacy desk from settings, and the periodic purge that ``serve`` and ``worker`` run.

Only the surfaces (bot/web, bot/cli) import this module: it reaches the Slack client, which
sits above the composition root in the import layers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from bot.privacy.retention import RetentionPolicy
from bot.privacy.service import PrivacyDesk, PrivacyReport, SlackCardRedactor
from bot.privacy.slack_cards import RedactSlackCard
from bot.privacy.storage import compact_sqlite, scrub_chroma_log, scrub_hnsw_slack
from bot.services import Services
from bot.settings import Settings
from knowledge_base.clock import Clock, utcnow

log = logging.getLogger(__name__)
# Retention is counted in days: checking hourly purges within an hour of falling due. The
# first run waits a little, so a starting server serves first and scans afterwards.
PURGE_INTERVAL_SECONDS = 3600.0
FIRST_PURGE_DELAY_SECONDS = 600.0


def slack_card_redactor(settings: Settings) -> SlackCardRedactor | None:
    """``chat.update`` through the desk's Slack client when a bot token is configured."""
    token = settings.slack_bot_token
    if token is None or not token.get_secret_value():
        return None
    from bot.slack.client import SlackWebApi, build_web_client

    client = build_web_client(token=token.get_secret_value(), base_url=settings.slack_api_url)
    return RedactSlackCard(SlackWebApi(client=client))


def build_privacy_desk(
    settings: Settings,
    *,
    session_factory: sessionmaker[Session],
    resync_index: Callable[[], object] | None,
    live_index_ids: Callable[[], Iterable[str]] | None = None,
    redact_card: SlackCardRedactor | None = None,
    clock: Clock = utcnow,
) -> PrivacyDesk:
    """The desk for this seller's settings (retention period, data dir, Slack).

    ``live_index_ids`` lists the chunk ids in the search index; with an embedded Chroma it
    lets the desk scrub erased documents from Chroma's own log."""
    engine = session_factory.kw["bind"]

    def compact_storage(index_changed: bool) -> None:
        if index_changed and settings.chroma_url is None and live_index_ids is not None:
            scrub_chroma_log(
                settings.chroma_dir,
                collection=settings.chroma_collection,
                live_ids=live_index_ids(),
            )
        if settings.chroma_url is None:
            scrub_hnsw_slack(settings.chroma_dir)
        compact_sqlite(engine)

    return PrivacyDesk(
        session_factory=session_factory,
        mail_files_root=settings.data_dir / "mail",
        # Where Services.buyer_photo_files keeps chat photos.
        photo_files_root=settings.data_dir / "buyer-photos",
        policy=RetentionPolicy(days=settings.retention_days),
        redact_card=redact_card if redact_card is not None else slack_card_redactor(settings),
        resync_index=resync_index,
        compact_storage=compact_storage,
        clock=clock,
    )


@dataclass
class PurgeLoop:
    """Runs :meth:`PrivacyDesk.purge` every ``interval_seconds`` on a daemon thread; a
    failure is logged and tried again at the next turn."""

    desk: PrivacyDesk
    interval_seconds: float = PURGE_INTERVAL_SECONDS
    first_delay_seconds: float = FIRST_PURGE_DELAY_SECONDS
    last_report: PrivacyReport | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def run_once(self) -> PrivacyReport | None:
        try:
            report = self.desk.purge()
        except Exception as exc:  # a database hiccup must not end the loop
            log.warning("privacy purge failed, trying again later: %s", type(exc).__name__)
            return None
        self.last_report = report
        if report.conversations or report.removed:
            log.info(
                "privacy purge: %d conversations, %s",
                len(report.conversations),
                dict(report.removed),
            )
        return report

    def run_forever(self) -> None:
        self._stop.wait(self.first_delay_seconds)
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval_seconds)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self.run_forever, name="privacy-purge", daemon=True
            )
            self._thread.start()

    def stop(self, *, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None


def start_privacy_purge(services: Services) -> PurgeLoop:
    """The periodic purge of ``serve`` and ``worker`` (stop it with the process)."""
    desk = build_privacy_desk(
        services.settings,
        session_factory=services.session_factory,
        resync_index=services.resync_index,
        live_index_ids=lambda: live_chunk_ids(services),
    )
    loop = PurgeLoop(desk)
    loop.start()
    return loop


def live_chunk_ids(services: Services) -> list[str]:
    """The ids of the chunks in the search index now."""
    return [chunk.id for chunk in services.index.all_chunks()]
