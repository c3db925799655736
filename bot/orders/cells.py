"""Reading the cells of one order-file row, collecting every problem instead of the first."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from bot.orders.errors import UnknownOrderStatus
from bot.orders.status import OrderStatus, parse_order_status


class RowError(ValueError):
    """One row cannot be read; the message names every bad cell."""


def parse_day(text: str, *, tz: ZoneInfo) -> date:
    """An ISO date, or an ISO timestamp turned into the calendar day in ``tz``.

    Marketplace timestamps are UTC; a parcel delivered at 03:00 UTC on the 30th arrived on
    the 29th in California, and return windows count local days.
    """
    value = text.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(tz).date()


class RowCells:
    """Typed access to one row's cells; problems pile up in :attr:`errors`."""

    def __init__(self, record: dict[str, str], *, tz: ZoneInfo) -> None:
        self._record = record
        self._tz = tz
        self.errors: list[str] = []

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = (self._record.get(name) or "").strip()
        if not value:
            if required:
                self.errors.append(f"{name} is empty")
            return None
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        try:
            return parse_day(value, tz=self._tz)
        except ValueError:
            self.errors.append(f"{name} {value!r} is not an ISO date (YYYY-MM-DD)")
            return None

    def money(self, name: str) -> Decimal | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.errors.append(f"{name} {value!r} is not a number")
            return None
        if not amount.is_finite() or amount < 0:
            self.errors.append(f"{name} {value!r} must be zero or more")
            return None
        return amount

    def count(self, name: str, *, default: int | None, minimum: int) -> int | None:
        value = self.text(name, required=default is None)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.errors.append(f"{name} {value!r} is not a whole number")
            return None
        if number < minimum:
            self.errors.append(f"{name} must be at least {minimum}, got {number}")
            return None
        return number

    def status(self, name: str) -> OrderStatus | None:
        value = self.text(name, required=True)
        if value is None:
            return None
        try:
            return parse_order_status(value)
        except UnknownOrderStatus as exc:
            self.errors.append(f"{name}: {exc.message}")
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise RowError("; ".join(self.errors))
