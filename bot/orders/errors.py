"""Errors raised by the orders package, each with a stable machine-readable code."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class OrdersError(DraftdeskError):
    """Base error of the orders package; ``code`` is stable and safe to show to users."""

    code = "orders_error"
    status = 400


class OrderNotFound(OrdersError):
    code = "order_not_found"
    status = 404


class UnknownOrderStatus(OrdersError):
    """A status spelling that none of the known sources uses."""

    code = "unknown_order_status"
    status = 422


class UnreadableOrderFile(OrdersError):
    """The file as a whole cannot be read (missing, empty, unknown header, not text)."""

    code = "unreadable_order_file"
    status = 422


class SellingPartnerApiError(OrdersError):
    """The Selling Partner API answered with an error we cannot recover from."""

    code = "sp_api_error"
    status = 502


class SellingPartnerRateLimited(SellingPartnerApiError):
    """HTTP 429 from the Selling Partner API, still there after every retry."""

    code = "sp_api_rate_limited"
    status = 503

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SellingPartnerCredentialsRefused(SellingPartnerApiError):
    """Login with Amazon refused the refresh token, client id or client secret."""

    code = "sp_api_credentials_refused"
    status = 502


class SellingPartnerNotConfigured(OrdersError):
    """The Selling Partner API settings are missing or incomplete."""

    code = "sp_api_not_configured"
    status = 409


class OrderSyncBusy(OrdersError):
    """Another process is syncing orders right now."""

    code = "order_sync_busy"
    status = 409
