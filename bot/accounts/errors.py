"""Errors of the accounts package, each with a stable ``code`` and HTTP status."""

from __future__ import annotations


class AccountError(Exception):
    """Base error of accounts; ``code`` is stable and ``message`` safe to show."""

    code = "account_error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
