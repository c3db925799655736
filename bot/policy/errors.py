"""Errors raised by the policy engine, each with a stable machine-readable code."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class PolicyError(DraftdeskError):
    """Base error of the policy engine; ``code`` is stable and safe to show to users."""

    code = "policy_error"
    status = 400


class PolicyFileNotFound(PolicyError):
    code = "policy_file_not_found"
    status = 404


class InvalidPolicy(PolicyError):
    """The policy file is not valid YAML or breaks a rule (the message names each problem)."""

    code = "invalid_policy"
    status = 422
