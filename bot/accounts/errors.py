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


class TokenNotFound(AccountError):
    code = "token_not_found"
    status = 404


class LastAdmin(AccountError):
    """The change would leave nobody who can manage users."""

    code = "last_admin"
    status = 409


class OwnAccount(AccountError):
    """An admin may not lock themselves out from the console (another admin can)."""

    code = "own_account"
    status = 409
