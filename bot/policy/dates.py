"""Date arithmetic the rules need: local days, month steps, business days, holiday windows."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.policy.errors import PolicyError
from bot.policy.rules import HolidayWindow, PolicyRules


def local_day(rules: PolicyRules, today: date | datetime) -> date:
    """The seller's calendar day: an aware datetime is converted to the policy's time zone
    (at 06:00 UTC on 13 Dec it is still 12 Dec in California); a date is taken as is."""
    if isinstance(today, datetime):
        if today.tzinfo is None:
            raise PolicyError("give 'today' as a date or an aware datetime, not a naive one")
        return today.astimezone(ZoneInfo(rules.timezone)).date()
    return today


def seller_today(rules: PolicyRules, *, now: datetime) -> date:
    """Today in the seller's time zone, for callers holding the current UTC time."""
    return local_day(rules, now)


def _month_day(year: int, month_day: str) -> date:
    month, day = (int(part) for part in month_day.split("-"))
    # "02-29" in a year without it means the last day of February.
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def holiday_deadline(window: HolidayWindow, purchase_date: date) -> date | None:
    """The holiday-season return deadline for an item bought on ``purchase_date``, or None
    when the purchase falls outside the holiday window."""
    if not window.enabled:
        return None
    year = purchase_date.year
    if (
        not _month_day(year, window.purchased_from)
        <= purchase_date
        <= _month_day(year, window.purchased_until)
    ):
        return None
    until = _month_day(year, window.returnable_until)
    return until if until >= purchase_date else _month_day(year + 1, window.returnable_until)


def add_months(start: date, months: int) -> date:
    """``start`` plus whole months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def add_business_days(start: date, days: int, *, non_business_days: Iterable[date] = ()) -> date:
    """The day ``days`` business days after ``start`` (weekends and listed holidays skipped)."""
    closed = set(non_business_days)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in closed:
            left -= 1
    return current


def format_day(day: date) -> str:
    """``12 December 2026``: unambiguous for buyers in every English-speaking country."""
    return f"{day.day} {day:%B} {day.year}"


def format_month_day(month_day: str) -> str:
    """``11-01`` → ``1 November``."""
    day = _month_day(2000, month_day)
    return f"{day.day} {day:%B}"
