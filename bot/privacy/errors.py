"""Errors of buyer data protection (one root, stable codes)."""

from __future__ import annotations

from bot.protection.errors import PrivacyError

__all__ = ["PrivacyError", "RetentionTooLong", "UnknownBuyerReference"]


class UnknownBuyerReference(PrivacyError):
    """``--buyer`` is neither a conversation id, a relay address nor an order id."""

    code = "unknown_buyer_reference"
    status = 422


class RetentionTooLong(PrivacyError):
    """A retention period longer than Amazon's Data Protection Policy allows."""

    code = "retention_too_long"
    status = 422
