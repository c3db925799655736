"""The week's figures as CSV: one row per agent, per article and per SKU complaint count."""

from __future__ import annotations

import csv
import io

from bot.reports.defects import DEFECT_LABELS
from bot.reports.figures import FigureRow, WeekFigures
from bot.reports.quality import QualityReport

CSV_COLUMNS = (
    "week", "scope", "name", "decided", "sent_unchanged", "sent_lightly_edited",
    "sent_rewritten", "rejected", "escalated", "no_response_needed", "handoffs",
    "handoff_rate", "replies", "median_first_reply_minutes", "replies_over_24h",
)
QUALITY_COLUMNS = ("week", "scope", "sku", *(d.value for d in DEFECT_LABELS), "total")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula (an article titled "=HYPERLINK(…)") is
    quoted with a leading apostrophe."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def _figure_row(week: str, scope: str, row: FigureRow) -> list[str | int]:
    return [
        week, scope, _cell(row.label), row.decided, row.sent_unchanged, row.sent_light,
        row.sent_rewritten, row.rejected, row.escalated, row.no_response, row.handoffs,
        _number(row.handoff_rate), row.replies, _number(row.median_first_reply_minutes),
        row.late_replies,
    ]


def figures_csv(figures: WeekFigures, quality: QualityReport) -> str:
    """Review figures first (total, agents, articles), then complaints per SKU."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    week = figures.week.label
    writer.writerow(CSV_COLUMNS)
    writer.writerow(_figure_row(week, "total", figures.total))
    writer.writerows(_figure_row(week, "agent", row) for row in figures.agents)
    writer.writerows(_figure_row(week, "article", row) for row in figures.articles)
    writer.writerow([])
    writer.writerow(QUALITY_COLUMNS)
    for sku in quality.skus:
        writer.writerow([week, "sku", _cell(sku.sku), *(sku.by_defect[d] for d in DEFECT_LABELS),
                         sku.total])
    return out.getvalue()
