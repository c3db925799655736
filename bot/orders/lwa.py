"""Login with Amazon (LWA): a refresh token exchanged for short-lived access tokens.

Every Selling Partner API call carries an access token in ``x-amz-access-token``. The token
comes from the LWA token endpoint (``grant_type=refresh_token`` with the app's client id and
secret) and lives about an hour; :class:`LwaAccessTokens` caches it until shortly before it
expires. Network trouble, 429 and 5xx answers are retried with back-off (tenacity, as in
:mod:`bot.orders.sp_api`); a refusal (``invalid_grant``, ``invalid_client`` …) is raised at
once as :class:`SellingPartnerCredentialsRefused`. No secret ever appears in a message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from bot.orders.backoff import wait_seconds
from bot.orders.errors import SellingPartnerApiError, SellingPartnerCredentialsRefused
from knowledge_base.clock import MonotonicClock

DEFAULT_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
# A cached token is renewed this long before LWA says it expires (requests take time too).
RENEW_BEFORE_SECONDS = 300.0


@dataclass(frozen=True)
class LwaCredentials:
    """The app's LWA client and the seller's refresh token (from settings, never logged)."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)


class _TokenEndpointTrouble(SellingPartnerApiError):
    """A 429, a 5xx or a network failure at the token endpoint: worth retrying."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _lwa_error(response: httpx.Response) -> str:
    """``error: description`` from an LWA error answer (short, and never the request)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    error = str(body.get("error") or f"HTTP {response.status_code}")
    description = " ".join(str(body.get("error_description") or "").split())[:200]
    return f"{error}: {description}" if description else error


class LwaAccessTokens:
    """Callable that returns a valid access token, exchanging the refresh token when needed.

    Thread-safe: one exchange at a time, everyone else gets the cached token. ``monotonic``
    and ``sleep`` are injectable so tests control expiry and back-off.
    """

    def __init__(
        self,
        credentials: LwaCredentials,
        *,
        token_url: str = DEFAULT_TOKEN_URL,
        http_client: httpx.Client | None = None,
        monotonic: MonotonicClock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        max_backoff_seconds: float = 30.0,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._credentials = credentials
        self._token_url = token_url
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout_seconds)
        self._monotonic = monotonic
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_backoff = max_backoff_seconds
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = threading.Lock()
        self.exchanges = 0  # how many times the refresh token was exchanged (for status)

    def __call__(self) -> str:
        """A token valid for a while yet; exchanges the refresh token when there is none."""
        with self._lock:
            if self._token is None or self._monotonic() >= self._valid_until:
                self._token, lifetime = self._exchange()
                renew_at = max(lifetime - RENEW_BEFORE_SECONDS, lifetime / 2)
                self._valid_until = self._monotonic() + renew_at
                self.exchanges += 1
            return self._token

    def forget(self) -> None:
        """Drop the cached token (the next call exchanges the refresh token again)."""
        with self._lock:
            self._token = None

    def __enter__(self) -> LwaAccessTokens:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _wait_seconds(self, state: RetryCallState) -> float:
        return wait_seconds(state, max_backoff=self._max_backoff)

    def _exchange(self) -> tuple[str, float]:
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait_seconds,
            retry=retry_if_exception_type(_TokenEndpointTrouble),
            sleep=self._sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._request_token()
        raise AssertionError("unreachable: tenacity returns or re-raises")  # pragma: no cover

    def _request_token(self) -> tuple[str, float]:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._credentials.refresh_token,
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
        }
        try:
            response = self._http.post(
                self._token_url, data=form, headers={"accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise _TokenEndpointTrouble(
                f"cannot reach Login with Amazon ({type(exc).__name__})"
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after")
            raise _TokenEndpointTrouble(
                f"Login with Amazon failed (HTTP {response.status_code})",
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        if response.status_code != 200:
            raise SellingPartnerCredentialsRefused(
                f"Login with Amazon refused the Selling Partner API credentials "
                f"({_lwa_error(response)}); check the refresh token, client id and client secret"
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise SellingPartnerApiError(
                "Login with Amazon answered without an access token"
            ) from None
        if not token:
            raise SellingPartnerApiError("Login with Amazon answered with an empty access token")
        return token, lifetime
