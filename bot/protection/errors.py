"""The root of buyer-data-protection errors, low enough for the column types to use."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class PrivacyError(DraftdeskError):
    """Root of the privacy and encryption errors."""

    code = "privacy_error"
    status = 400
