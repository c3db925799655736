"""Errors raised by the policy engine, each with a stable machine-readable code."""

from __future__ import annotations


class PolicyError(Exception):
    """Base error of the policy engine; ``code`` is stable and safe to show to users."""

    code = "policy_error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PolicyFileNotFound(PolicyError):
    code = "policy_file_not_found"
    status = 404


class InvalidPolicy(PolicyError):
    """The policy file is not valid YAML or breaks a rule (the message names each problem)."""

    code = "invalid_policy"
    status = 422
