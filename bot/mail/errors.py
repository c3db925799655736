"""Errors of the mail channel, each with a stable ``code``::

    MailError
     ├── MailConfigError        422  mail_config_invalid
     ├── MailServerError        502  mail_server_unreachable | mail_login_refused |
     │                               mail_tls_unavailable
     ├── MailNotFound           404  mail_not_found (no such stored mail, file or reply)
     └── NothingToRetry         409  nothing_to_retry (the reply was delivered)

A reply the relay would not take is refused in the approval as the workflow's
``InvalidMessage`` (``reply_too_long_for_marketplace``).
"""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class MailError(DraftdeskError):
    code = "mail_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class MailConfigError(MailError):
    code = "mail_config_invalid"
    status = 422


class MailServerError(MailError):
    code = "mail_server_unreachable"
    status = 502


class MailNotFound(MailError):
    code = "mail_not_found"
    status = 404


class NothingToRetry(MailError):
    code = "nothing_to_retry"
    status = 409
