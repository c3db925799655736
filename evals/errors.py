"""Errors of the evaluation harness, each with a stable code and a one-line message."""

from __future__ import annotations


class EvalError(Exception):
    """Base error of ``evals``; ``message`` is one clean line fit for a terminal."""

    code = "eval_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatasetMissing(EvalError):
    """A dataset or query file is not where it was expected."""

    code = "dataset_missing"


class DatasetInvalid(EvalError):
    """A dataset or query file exists but its columns or rows are not as expected."""

    code = "dataset_invalid"


class ReservedSplit(EvalError):
    """Someone asked for a split reserved for acceptance checks (never read here)."""

    code = "reserved_split"
