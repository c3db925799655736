"""The reports a lead reads, over one database (built once at the composition root)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.reports.export import figures_csv
from bot.reports.figures import WeekFigures, week_figures
from bot.reports.quality import QualityAlert, QualityReport, current_alerts, quality_report
from bot.reports.week import ReportWeek, parse_week
from knowledge_base.clock import Clock, utcnow

# The banner is on every console page: its alerts are recomputed at most once a minute.
ALERTS_TTL = timedelta(seconds=60)


class Reports:
    def __init__(self, *, session_factory: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self._banner: tuple[datetime, list[QualityAlert]] | None = None

    def week(self, label: str | None = None) -> ReportWeek:
        """The ISO week ``label`` (``2026-W48``), or this week; InvalidWeek otherwise."""
        return parse_week(label, now=self.clock())

    def figures(self, week: ReportWeek) -> WeekFigures:
        with self.session_factory() as session:
            return week_figures(session, week=week)

    def quality(self, week: ReportWeek) -> QualityReport:
        with self.session_factory() as session:
            return quality_report(session, week=week, now=self.clock())

    def alerts(self) -> list[QualityAlert]:
        """Today's quality alerts for the banner (cached for ``ALERTS_TTL``)."""
        now = self.clock()
        cached = self._banner
        if cached is not None and now - cached[0] < ALERTS_TTL:
            return cached[1]
        with self.session_factory() as session:
            alerts = current_alerts(session, now=now)
        self._banner = (now, alerts)
        return alerts

    def csv(self, week: ReportWeek) -> str:
        return figures_csv(self.figures(week), self.quality(week))
