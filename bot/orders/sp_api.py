"""A Selling Partner API Orders (v0) client: ``getOrders``, ``getOrder``, ``getOrderItems``.

Every call waits for a token of its operation's documented usage plan and retries HTTP 429
(honouring ``Retry-After``) and 5xx answers with back-off. The base URL and the access token
are parameters: the caller (the composition root) owns the LWA token exchange and passes
either a fixed token or a callable that returns a current one (:mod:`bot.orders.lwa`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from bot.orders.backoff import wait_seconds
from bot.orders.errors import SellingPartnerApiError, SellingPartnerRateLimited
from bot.orders.ratelimit import RateLimit, RateLimitClock, SystemClock, TokenBucket
from knowledge_base.clock import utcnow

ORDERS_PATH = "/orders/v0/orders"
# Orders API v0 usage plans (requests per second, burst), per selling partner and app.
DOCUMENTED_RATE_LIMITS: Mapping[str, RateLimit] = {
    "getOrders": RateLimit(rate=0.0167, burst=20),
    "getOrder": RateLimit(rate=0.5, burst=30),
    "getOrderItems": RateLimit(rate=0.5, burst=30),
}


class _ServerTrouble(SellingPartnerApiError):
    """A 5xx answer or a network failure: worth retrying, reported as an API error."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class OrdersPage:
    """One page of ``getOrders``; pass ``next_token`` back for the next page."""

    orders: list[dict[str, Any]]
    next_token: str | None
    # The upper bound the API applied (``LastUpdatedBefore``/``CreatedBefore`` of the
    # answer): every order updated up to it has been listed. None when the API does not say.
    listed_until: datetime | None = None


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - utcnow()).total_seconds())


def _iso_moment(value: Any) -> datetime | None:
    """An ISO 8601 time of an answer as an aware UTC datetime (None when absent or odd)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _error_text(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or response.text
    except ValueError:
        return response.text[:200]


class SellingPartnerOrdersClient:
    """The Orders API over httpx, rate limited per operation and retrying 429s.

    ``clock`` decides how waiting happens (tests pass a fake clock that only records sleeps);
    ``http_client`` lets tests or the app share a configured :class:`httpx.Client`.
    """

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str | Callable[[], str],
        http_client: httpx.Client | None = None,
        clock: RateLimitClock | None = None,
        rate_limits: Mapping[str, RateLimit] = DOCUMENTED_RATE_LIMITS,
        max_attempts: int = 5,
        max_backoff_seconds: float = 120.0,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout_seconds)
        self._base_url = base_url.rstrip("/")
        self._access_token = access_token
        self._headers = {
            "accept": "application/json",
            "user-agent": "draftdesk/0.1 (Language=Python)",
        }
        self._clock = clock or SystemClock()
        self._buckets = {
            operation: TokenBucket(limit, clock=self._clock)
            for operation, limit in rate_limits.items()
        }
        self._max_attempts = max_attempts
        self._max_backoff = max_backoff_seconds

    def __enter__(self) -> SellingPartnerOrdersClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def _wait_seconds(self, state: RetryCallState) -> float:
        return wait_seconds(state, max_backoff=self._max_backoff)

    def _send(self, operation: str, path: str, params: Mapping[str, str]) -> httpx.Response:
        bucket = self._buckets.get(operation)
        if bucket is not None:
            bucket.acquire()
        token = self._access_token if isinstance(self._access_token, str) else self._access_token()
        try:
            response = self._http.get(
                f"{self._base_url}{path}",
                params=dict(params),
                headers={**self._headers, "x-amz-access-token": token},
            )
        except httpx.TransportError as exc:
            raise _ServerTrouble(
                f"{operation}: cannot reach the Selling Partner API ({exc})"
            ) from exc
        if response.status_code == 429:
            if bucket is not None:
                bucket.drain()
            raise SellingPartnerRateLimited(
                f"{operation}: the Selling Partner API is rate limiting us (HTTP 429)",
                retry_after=_retry_after_seconds(response.headers.get("retry-after")),
            )
        if response.status_code >= 500:
            raise _ServerTrouble(
                f"{operation}: the Selling Partner API failed (HTTP {response.status_code})",
                retry_after=_retry_after_seconds(response.headers.get("retry-after")),
            )
        return response

    def _get(self, operation: str, path: str, params: Mapping[str, str]) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait_seconds,
            retry=retry_if_exception_type((SellingPartnerRateLimited, _ServerTrouble)),
            sleep=self._clock.sleep,
            reraise=True,
        )
        response: httpx.Response | None = None
        for attempt in retrying:
            with attempt:
                response = self._send(operation, path, params)
        assert response is not None  # tenacity either returned a response or re-raised
        forget = getattr(self._access_token, "forget", None)
        if response.status_code == 403 and callable(forget):
            # An access token can expire between our cache's check and the server's: get a
            # fresh one and ask once more (a refused app stays refused and is reported).
            forget()
            for attempt in retrying.copy():
                with attempt:
                    response = self._send(operation, path, params)
        return response

    @staticmethod
    def _payload(operation: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise SellingPartnerApiError(
                f"{operation} failed (HTTP {response.status_code}): {_error_text(response)}"
            )
        try:
            payload = response.json()["payload"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SellingPartnerApiError(f"{operation}: the answer has no payload") from exc
        if not isinstance(payload, dict):
            raise SellingPartnerApiError(f"{operation}: the payload is not an object")
        return payload

    def get_orders(
        self,
        *,
        marketplace_ids: Sequence[str],
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
        order_statuses: Sequence[str] = (),
        next_token: str | None = None,
    ) -> OrdersPage:
        """One page of ``getOrders`` (give ``created_after`` or ``last_updated_after``)."""
        params = {"MarketplaceIds": ",".join(marketplace_ids)}
        if next_token:
            params["NextToken"] = next_token
        if created_after is not None:
            params["CreatedAfter"] = created_after.astimezone(UTC).isoformat()
        if last_updated_after is not None:
            params["LastUpdatedAfter"] = last_updated_after.astimezone(UTC).isoformat()
        if order_statuses:
            params["OrderStatuses"] = ",".join(order_statuses)
        payload = self._payload("getOrders", self._get("getOrders", ORDERS_PATH, params))
        orders = payload.get("Orders") or []
        return OrdersPage(
            orders=list(orders),
            next_token=payload.get("NextToken") or None,
            listed_until=_iso_moment(
                payload.get("LastUpdatedBefore") or payload.get("CreatedBefore")
            ),
        )

    def iter_orders(
        self,
        *,
        marketplace_ids: Sequence[str],
        created_after: datetime | None = None,
        last_updated_after: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every order of ``getOrders``, following ``NextToken`` page after page."""
        token: str | None = None
        while True:
            page = self.get_orders(
                marketplace_ids=marketplace_ids,
                created_after=None if token else created_after,
                last_updated_after=None if token else last_updated_after,
                next_token=token,
            )
            yield from page.orders
            if not page.next_token:
                return
            token = page.next_token

    def get_order(self, order_id: str) -> dict[str, Any] | None:
        """``getOrder``: the order, or None when the API does not know the id."""
        response = self._get("getOrder", f"{ORDERS_PATH}/{order_id}", {})
        if response.status_code == 404:
            return None
        return self._payload("getOrder", response)

    def get_order_items(self, order_id: str) -> list[dict[str, Any]]:
        """``getOrderItems``: every item of the order, following ``NextToken``."""
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params = {"NextToken": token} if token else {}
            response = self._get("getOrderItems", f"{ORDERS_PATH}/{order_id}/orderItems", params)
            payload = self._payload("getOrderItems", response)
            items.extend(payload.get("OrderItems") or [])
            token = payload.get("NextToken") or None
            if not token:
                return items
