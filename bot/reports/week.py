"""The reporting period: one ISO week, Monday 00:00 UTC to the next Monday."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.reports.errors import InvalidWeek

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class ReportWeek:
    """``[start, end)`` in UTC and the label buyers of the CSV see (``2026-W48``)."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def previous(self) -> ReportWeek:
        return ReportWeek(start=self.start - timedelta(days=7), end=self.start)

    def next(self) -> ReportWeek:
        return ReportWeek(start=self.end, end=self.end + timedelta(days=7))


def week_of(day: date) -> ReportWeek:
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    return ReportWeek(start=start, end=start + timedelta(days=7))


def parse_week(value: str | None, *, now: datetime) -> ReportWeek:
    """``2026-W48`` → that week; empty → the week that contains ``now``."""
    if not value:
        return week_of(now.astimezone(UTC).date())
    match = _ISO_WEEK.match(value.strip())
    if match is None:
        raise InvalidWeek("week must look like 2026-W48")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidWeek("no such ISO week") from None
    return week_of(monday)
