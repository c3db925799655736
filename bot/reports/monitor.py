"""Raise each quality alert once per SKU and day, and tell the team (Slack, when wired).

The alert itself is recomputed from the messages (:func:`bot.reports.quality.current_alerts`);
what is stored is only that it was raised — an audit entry ``quality.alert_raised`` keyed
``SKU@YYYY-MM-DD`` — so a restart or a second check never announces it twice. Two processes
checking in the same instant could both announce one; the check runs in the API process
that serves the console, so in practice one does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.reports.quality import QualityAlert, current_alerts
from knowledge_base.clock import Clock, utcnow
from knowledge_base.error_base import DraftdeskError
from knowledge_base.models import AuditLog
from knowledge_base.repository import record_audit

log = logging.getLogger(__name__)

ALERT_ACTION = "quality.alert_raised"
ALERT_ENTITY = "quality_alert"
AlertNotifier = Callable[[QualityAlert], None]


def alert_key(alert: QualityAlert, *, now: datetime) -> str:
    return f"{alert.sku[:100]}@{now.date().isoformat()}"


class QualityAlertMonitor:
    """Checks for new alerts when poked (a buyer wrote) and every ``interval_seconds``."""

    def __init__(
        self, *, session_factory: sessionmaker[Session], clock: Clock = utcnow,
        interval_seconds: float = 300.0,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.interval_seconds = interval_seconds
        self.notifiers: list[AlertNotifier] = []
        self._poked = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> list[QualityAlert]:
        """Record the alerts not raised yet today, tell the notifiers, return them."""
        now = self.clock()
        with self.session_factory.begin() as session:
            raised = []
            for alert in current_alerts(session, now=now):
                key = alert_key(alert, now=now)
                seen = session.scalar(select(AuditLog.id).where(
                    AuditLog.action == ALERT_ACTION, AuditLog.entity_type == ALERT_ENTITY,
                    AuditLog.entity_id == key,
                ).limit(1))
                if seen is None:
                    record_audit(session, actor="system", action=ALERT_ACTION,
                                 entity_type=ALERT_ENTITY, entity_id=key,
                                 detail={"complaints": alert.complaints,
                                         "defect": alert.top_defect.value})
                    raised.append(alert)
        for alert in raised:
            for notify in self.notifiers:
                try:
                    notify(alert)
                except DraftdeskError as exc:  # Slack down: the console banner still shows it
                    log.warning("quality alert for %s not announced: %s", alert.sku, exc)
        return raised

    def poke(self) -> None:
        """A buyer wrote: check soon (from the monitor's own thread, never the request's)."""
        self._poked.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="quality-alerts",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._poked.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._poked.wait(self.interval_seconds)
            self._poked.clear()
            if self._stopping.is_set():
                return
            try:
                self.check()
            except DraftdeskError:
                log.exception("quality alert check failed")
            # Several buyers writing at once cost one check, not one each.
            self._stopping.wait(5.0)
