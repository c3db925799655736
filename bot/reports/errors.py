"""Errors of the reports package (one ``DraftdeskError`` subtree, stable codes)."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class ReportsError(DraftdeskError):
    code = "reports_error"
    status = 500


class InvalidWeek(ReportsError):
    """The ``week`` asked for is not an ISO week such as ``2026-W48``."""

    code = "invalid_week"
    status = 422
