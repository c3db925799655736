"""Errors of the accounts package, each with a stable ``code`` and HTTP status."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class AccountError(DraftdeskError):
    """Base error of accounts; ``code`` is stable and ``message`` safe to show."""

    code = "account_error"
    status = 400


class InvalidEmail(AccountError):
    code = "invalid_email"
    status = 422


class InvalidRole(AccountError):
    code = "invalid_role"
    status = 422


class WeakPassword(AccountError):
    code = "weak_password"
    status = 422


class UserExists(AccountError):
    code = "user_exists"
    status = 409


class UserNotFound(AccountError):
    code = "user_not_found"
    status = 404


class InvalidCredentials(AccountError):
    """Wrong e-mail or password (never says which)."""

    code = "invalid_credentials"
    status = 401
