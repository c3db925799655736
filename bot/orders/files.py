"""Order files: the marketplace's order report (tab-separated) and draftdesk's own CSV.

The format is told apart by the header. Each row is one order line; rows sharing an order id
form one order. A file is never half-imported at the row level, and neither is an order:
**when any row of an order cannot be read, the whole order is rejected** and every one of its
lines is listed (the bad ones with their reason, the others pointing at the bad ones), so a
re-import after fixing the file brings the order in complete. Good orders are imported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.orders.cells import RowCells, RowError
from bot.orders.errors import OrdersError, UnreadableOrderFile
from bot.orders.formats import (
    DRAFTDESK_CSV_COLUMNS,
    REPORT_REQUIRED_COLUMNS,
    draftdesk_row,
    report_row,
)
from bot.orders.schemas import ImportFailure, OrderImportReport, OrderUpsert
from bot.orders.sources import OrderSource, SourceBatch, import_from_source

OrderFileFormat = Literal["draftdesk_csv", "order_report"]

# Marketplace timestamps become calendar days in this zone unless the caller says otherwise.
DEFAULT_ORDER_TIMEZONE = "America/Los_Angeles"
MAX_FILE_BYTES = 50 * 1024 * 1024
_MUST_AGREE = (
    "purchase_date",
    "status",
    "buyer_name",
    "fulfillment_channel",
    "marketplace",
    "currency",
)


@dataclass
class _Row:
    line: int
    order_id: str
    order: dict[str, Any]  # fields every line of the order must agree on
    shipment: dict[str, Any]  # may differ per line (partial shipments)
    item: dict[str, Any]


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableOrderFile(f"{path.name} is larger than {MAX_FILE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableOrderFile(f"cannot read {path}: {exc.strerror or exc}") from exc
    if b"\x00" in raw[:4096]:
        raise UnreadableOrderFile(f"{path.name} is not a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Seller Central downloads for US marketplaces are often Windows-1252.
        return raw.decode("cp1252", errors="replace")


def _records(text: str) -> tuple[OrderFileFormat, list[str], Iterator[tuple[int, list[str]]]]:
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise UnreadableOrderFile("the file is empty or starts with a blank line")
    delimiter = "\t" if "\t" in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    if "amazon-order-id" in header:
        missing = [name for name in REPORT_REQUIRED_COLUMNS if name not in header]
        if missing:
            raise UnreadableOrderFile(f"order report without column(s): {', '.join(missing)}")
        file_format: OrderFileFormat = "order_report"
    elif set(header) & set(DRAFTDESK_CSV_COLUMNS):
        missing = [name for name in DRAFTDESK_CSV_COLUMNS if name not in header]
        extra = [name for name in header if name not in DRAFTDESK_CSV_COLUMNS]
        if missing or extra or len(header) != len(DRAFTDESK_CSV_COLUMNS):
            raise UnreadableOrderFile(
                "a draftdesk order CSV has exactly these columns: "
                + ",".join(DRAFTDESK_CSV_COLUMNS)
                + (f" (missing: {', '.join(missing)})" if missing else "")
                + (f" (unexpected: {', '.join(extra)})" if extra else "")
            )
        file_format = "draftdesk_csv"
    else:
        raise UnreadableOrderFile(
            "unknown order file: expected the marketplace order report (amazon-order-id, "
            "purchase-date, ...) or draftdesk's CSV (" + ",".join(DRAFTDESK_CSV_COLUMNS) + ")"
        )

    def rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            line = reader.line_num + 1  # where the next record starts (quoted cells may wrap)
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, [f"\x00{exc}"]
                continue
            if any(cell.strip() for cell in cells):
                yield line, cells

    return file_format, header, rows()


def _merge_shipments(rows: list[_Row]) -> dict[str, Any]:
    def values(name: str) -> list[Any]:
        return [row.shipment[name] for row in rows if row.shipment[name] is not None]

    shipped, estimated, delivered = (
        values("shipped_at"),
        values("estimated_delivery"),
        values("delivered_at"),
    )
    carriers, trackings = values("carrier"), values("tracking_number")
    # Partial shipments: the first parcel's dispatch, the last parcel's (expected) arrival.
    return {
        "shipped_at": min(shipped, default=None),
        "estimated_delivery": max(estimated, default=None),
        "delivered_at": max(delivered, default=None),
        "carrier": carriers[0] if carriers else None,
        "tracking_number": trackings[0] if trackings else None,
    }


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def _assemble(order_id: str, rows: list[_Row], batch: SourceBatch) -> None:
    lines = [row.line for row in rows]
    for name in _MUST_AGREE:
        seen = {row.order.get(name) for row in rows}
        if len(seen) > 1:
            where = ", ".join(str(line) for line in lines)
            for line in lines:
                batch.failed.append(
                    ImportFailure(
                        line=line,
                        order_id=order_id,
                        error=f"order {order_id} not imported: {name} differs between lines "
                        f"{where}",
                    )
                )
            return
    first = rows[0].order
    try:
        order = OrderUpsert(
            order_id=order_id,
            **{name: value for name, value in first.items() if value is not None},
            **_merge_shipments(rows),
            items=[row.item for row in rows],
        )
    except ValidationError as exc:
        by_line: dict[int, list[str]] = {}
        for error in exc.errors():
            loc = error["loc"]
            if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
                targets = [lines[loc[1]]]
            else:
                targets = lines
            for line in targets:
                by_line.setdefault(line, []).append(_describe(dict(error)))
        for line in lines:
            reason = "; ".join(by_line.get(line, [])) or (
                f"order {order_id} not imported: line(s) "
                + ", ".join(str(bad) for bad in sorted(by_line))
                + " of the same order could not be read"
            )
            batch.failed.append(ImportFailure(line=line, order_id=order_id, error=reason))
        return
    batch.orders.append(order)
    batch.rows += len(rows)


class OrderFile:
    """An order file on disk (either format); an :class:`OrderSource`."""

    def __init__(self, path: Path, *, timezone: str = DEFAULT_ORDER_TIMEZONE) -> None:
        self.path = path
        try:
            self._tz = ZoneInfo(timezone)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise OrdersError(f"unknown time zone {timezone!r}") from exc
        self.format, self._header, self._rows = _records(_read_text(path))

    @property
    def name(self) -> str:
        return self.format

    def read(self) -> SourceBatch:
        """Read every row; bad rows reject their whole order (see the module docstring)."""
        batch = SourceBatch()
        groups: dict[str, list[_Row]] = {}
        bad: dict[str, list[tuple[int, str]]] = {}
        id_column = "amazon-order-id" if self.format == "order_report" else "order_id"
        for line, values in self._rows:
            if values and values[0].startswith("\x00"):
                batch.failed.append(ImportFailure(line=line, error=values[0][1:]))
                continue
            record = dict(zip(self._header, values, strict=False))
            order_id = (record.get(id_column) or "").strip()
            if len(values) != len(self._header):
                error = f"expected {len(self._header)} columns, found {len(values)}"
            else:
                cells = RowCells(record, tz=self._tz)
                parse = report_row if self.format == "order_report" else draftdesk_row
                order, shipment, item = parse(cells)
                try:
                    cells.raise_if_any()
                except RowError as exc:
                    error = str(exc)
                else:
                    groups.setdefault(order_id, []).append(
                        _Row(
                            line=line, order_id=order_id, order=order, shipment=shipment, item=item
                        )
                    )
                    continue
            if not order_id:
                batch.failed.append(ImportFailure(line=line, error=error))
            else:
                bad.setdefault(order_id, []).append((line, error))
        for order_id, rows in groups.items():
            if order_id in bad:
                bad_lines = ", ".join(str(line) for line, _ in bad[order_id])
                for row in rows:
                    batch.failed.append(
                        ImportFailure(
                            line=row.line,
                            order_id=order_id,
                            error=f"order {order_id} not imported: line(s) {bad_lines} of the "
                            "same order could not be read",
                        )
                    )
            else:
                _assemble(order_id, rows, batch)
        for order_id, errors in bad.items():
            for line, error in errors:
                batch.failed.append(ImportFailure(line=line, order_id=order_id, error=error))
        batch.failed.sort(key=lambda failure: failure.line or 0)
        return batch


def open_order_file(path: Path, *, timezone: str = DEFAULT_ORDER_TIMEZONE) -> OrderSource:
    """The file as an :class:`OrderSource`; raises :class:`UnreadableOrderFile` when the file
    itself (not a row) is unusable: missing, empty, binary or with an unknown header."""
    return OrderFile(path, timezone=timezone)


def import_orders_file(
    session: Session, *, path: Path, timezone: str = DEFAULT_ORDER_TIMEZONE
) -> OrderImportReport:
    """Import an order report or draftdesk CSV in the caller's transaction.

    Good orders are upserted (re-importing the same file changes nothing); every row that
    was not imported is listed in ``failed`` with its line number (the header is line 1).
    """
    return import_from_source(session, source=open_order_file(path, timezone=timezone))
