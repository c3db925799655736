"""Errors of the evaluation harness, each with a stable code and a one-line message."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class EvalError(DraftdeskError):
    """Base error of ``evals``; ``message`` is one clean line fit for a terminal."""

    code = "eval_error"
    status = 400


class DatasetMissing(EvalError):
    """A dataset or query file is not where it was expected."""

    code = "dataset_missing"
    status = 404


class DatasetInvalid(EvalError):
    """A dataset or query file exists but its columns or rows are not as expected."""

    code = "dataset_invalid"
    status = 422


class ReservedSplit(EvalError):
    """Someone asked for a split reserved for acceptance checks (never read here)."""

    code = "reserved_split"
    status = 403
