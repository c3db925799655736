"""Errors of retrieval and its calibration, each with a stable code."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class RetrievalError(DraftdeskError):
    code = "retrieval_error"
    status = 500


class CalibrationInputError(RetrievalError):
    """A dev file given to ``draftdesk kb calibrate`` cannot be read."""

    code = "invalid_calibration_input"
    status = 422
