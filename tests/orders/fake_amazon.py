"""A local fake of Amazon for the order tests: Login with Amazon's token endpoint and the
Selling Partner API's Orders v0 (``getOrders``, ``getOrder``, ``getOrderItems``), served by a
real HTTP server on 127.0.0.1 in a thread.

It behaves like the real services where the tests depend on it:

* ``POST /auth/o2/token`` takes ``grant_type=refresh_token`` with the client id and secret as
  form fields; a wrong client is ``401 invalid_client``, a wrong refresh token
  ``400 invalid_grant``; a good one gets ``{"access_token", "token_type": "bearer",
  "expires_in": 3600, "refresh_token"}``.
* Every Orders call needs a current token in ``x-amz-access-token`` (else ``403
  Unauthorized``); ``getOrders`` needs ``MarketplaceIds`` and exactly one of ``CreatedAfter``
  and ``LastUpdatedAfter``, lists only changes at least two minutes old (its implicit
  ``LastUpdatedBefore``, echoed in the answer), pages with an opaque ``NextToken`` that
  replaces every other criterion, and answers ``400 InvalidInput`` to anything else.
* ``fail_next`` makes the next calls of an operation fail (``429`` + ``Retry-After``,
  ``5xx``), ``delay`` slows an operation down.

Its clock (``now``) is Amazon's: tests set it to pin what "two minutes ago" means.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

CLIENT_ID = "amzn1.application-oa2-client.0123456789abcdef"
CLIENT_SECRET = "amzn1.oa2-cs.v1.fake-client-secret"
REFRESH_TOKEN = "Atzr|IwEBIFAKE-refresh-token"
US = "ATVPDKIKX0DER"
LISTING_DELAY = timedelta(minutes=2)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment.astimezone(UTC)


@dataclass
class Request:
    operation: str
    path: str
    query: dict[str, str]
    token: str | None


@dataclass
class _Failure:
    status: int
    retry_after: str | None


@dataclass
class FakeAmazon:
    """LWA + Orders v0 on one loopback port (``url`` is both the API and the token host)."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_size: int = 2
    token_lifetime: int = 3600
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    requests: list[Request] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._tokens: dict[str, datetime] = {}
        self._pages: dict[str, tuple[dict[str, str], int]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._delays: dict[str, float] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- test controls ------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        return f"{self.url}/auth/o2/token"

    def fail_next(
        self, operation: str, *, status: int = 429, retry_after: str | None = None, times: int = 1
    ) -> None:
        with self._lock:
            self._failures.setdefault(operation, []).extend([_Failure(status, retry_after)] * times)

    def delay(self, operation: str, seconds: float) -> None:
        self._delays[operation] = seconds

    def put_order(self, order: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> None:
        """Add or replace an order (as a change on the marketplace would)."""
        with self._lock:
            self.orders = [o for o in self.orders if o["AmazonOrderId"] != order["AmazonOrderId"]]
            self.orders.append(dict(order))
            self.items[str(order["AmazonOrderId"])] = [dict(i) for i in items]

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = {token: self.now() - timedelta(seconds=1) for token in self._tokens}

    def operations(self) -> list[str]:
        return [r.operation for r in self.requests]

    # --- the two services -------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], object]:
        self.token_requests.append(form)
        pending = self._failures.get("token")
        if pending:
            failure = pending.pop(0)
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return failure.status, headers, {"error": "server_error"}
        if form.get("grant_type") != "refresh_token":
            return (
                400,
                {},
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The authorization grant type is not supported",
                },
            )
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return (
                401,
                {},
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        if form.get("refresh_token") != REFRESH_TOKEN:
            return (
                400,
                {},
                {
                    "error": "invalid_grant",
                    "error_description": (
                        "The request has an invalid grant parameter : refresh_token"
                    ),
                },
            )
        token = f"Atza|{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = self.now() + timedelta(seconds=self.token_lifetime)
        return (
            200,
            {},
            {
                "access_token": token,
                "refresh_token": REFRESH_TOKEN,
                "token_type": "bearer",
                "expires_in": self.token_lifetime,
            },
        )

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], object]:
        return status, {}, {"errors": [{"code": code, "message": message}]}

    def _orders_api(
        self, path: str, query: dict[str, str], token: str | None
    ) -> tuple[int, dict[str, str], object]:
        parts = [p for p in path.split("/") if p]  # orders, v0, orders[, id[, orderItems]]
        operation = {3: "getOrders", 4: "getOrder", 5: "getOrderItems"}.get(len(parts), "?")
        if parts[:3] != ["orders", "v0", "orders"] or (
            len(parts) == 5 and parts[4] != "orderItems"
        ):
            operation = "?"
        self.requests.append(Request(operation, path, dict(query), token))
        if operation in self._delays:
            time.sleep(self._delays[operation])
        with self._lock:
            pending = self._failures.get(operation)
            failure = pending.pop(0) if pending else None
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            code, message = (
                ("QuotaExceeded", "You exceeded your quota for the requested resource.")
                if failure.status == 429
                else ("InternalFailure", "We encountered an internal error.")
                if failure.status >= 500
                else ("InvalidInput", "Invalid input")
            )
            return failure.status, headers, {"errors": [{"code": code, "message": message}]}
        expires = self._tokens.get(token or "")
        if expires is None:
            return self._error(403, "Unauthorized", "Access to requested resource is denied.")
        if expires <= self.now():
            return self._error(403, "Unauthorized", "The access token you provided has expired.")
        if operation == "?":
            return self._error(404, "NotFound", "Resource not found")
        if operation == "getOrders":
            return self._get_orders(query)
        order = next((o for o in self.orders if o["AmazonOrderId"] == parts[3]), None)
        if order is None:
            return self._error(404, "NotFound", "Invalid order id")
        if operation == "getOrder":
            return 200, {}, {"payload": order}
        return self._page_of_items(parts[3], query)

    def _get_orders(self, query: dict[str, str]) -> tuple[int, dict[str, str], object]:
        if "NextToken" in query:
            with self._lock:
                remembered = self._pages.get(query["NextToken"])
            if remembered is None:
                return self._error(400, "InvalidInput", "Invalid NextToken")
            criteria, start = remembered
        else:
            criteria, start = query, 0
        if not criteria.get("MarketplaceIds"):
            return self._error(400, "InvalidInput", "MarketplaceIds is required")
        if ("CreatedAfter" in criteria) == ("LastUpdatedAfter" in criteria):
            return self._error(
                400, "InvalidInput", "Exactly one of CreatedAfter and LastUpdatedAfter is required"
            )
        latest = self.now() - LISTING_DELAY
        field_name = "PurchaseDate" if "CreatedAfter" in criteria else "LastUpdateDate"
        after_name = "CreatedAfter" if "CreatedAfter" in criteria else "LastUpdatedAfter"
        before_name = "CreatedBefore" if "CreatedAfter" in criteria else "LastUpdatedBefore"
        try:
            after = parse_iso(criteria[after_name])
            before = parse_iso(criteria[before_name]) if before_name in criteria else latest
        except ValueError:
            return self._error(400, "InvalidInput", f"{after_name} is not an ISO 8601 date")
        if before > latest or after > before:
            return self._error(
                400,
                "InvalidInput",
                f"{after_name} must be before {before_name}, which must be at "
                "least 2 minutes before the request time",
            )
        markets = set(criteria["MarketplaceIds"].split(","))
        chosen = sorted(
            (
                o
                for o in self.orders
                if o.get("MarketplaceId", US) in markets
                and after <= parse_iso(str(o[field_name])) <= before
            ),
            key=lambda o: (str(o[field_name]), o["AmazonOrderId"]),
        )
        page = chosen[start : start + self.page_size]
        payload: dict[str, object] = {"Orders": page, before_name: iso(before)}
        if start + self.page_size < len(chosen):
            token = secrets.token_urlsafe(16)
            with self._lock:  # later pages keep this page's time window
                self._pages[token] = (
                    {**criteria, before_name: iso(before)},
                    start + self.page_size,
                )
            payload["NextToken"] = token
        return 200, {"x-amzn-RateLimit-Limit": "0.0167"}, {"payload": payload}

    def _page_of_items(
        self, order_id: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], object]:
        lines = self.items.get(order_id, [])
        start = int(query.get("NextToken", "0"))
        payload: dict[str, object] = {
            "AmazonOrderId": order_id,
            "OrderItems": lines[start : start + self.page_size],
        }
        if start + self.page_size < len(lines):
            payload["NextToken"] = str(start + self.page_size)
        return 200, {"x-amzn-RateLimit-Limit": "0.5"}, {"payload": payload}

    # --- the server ---------------------------------------------------------------------------

    def start(self) -> FakeAmazon:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, headers: dict[str, str], body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                self._send(
                    *fake._orders_api(
                        url.path, dict(parse_qsl(url.query)), self.headers.get("x-amz-access-token")
                    )
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                if urlparse(self.path).path != "/auth/o2/token":
                    self._send(404, {}, {"error": "not_found"})
                    return
                self._send(*fake._token(dict(parse_qsl(body))))

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def sp_api_env(fake: FakeAmazon, **overrides: str) -> dict[str, str]:
    """The settings a seller would set, pointing at the fake."""
    env = {
        "DRAFTDESK_SP_API_REFRESH_TOKEN": REFRESH_TOKEN,
        "DRAFTDESK_SP_API_CLIENT_ID": CLIENT_ID,
        "DRAFTDESK_SP_API_CLIENT_SECRET": CLIENT_SECRET,
        "DRAFTDESK_SP_API_MARKETPLACE_IDS": US,
        "DRAFTDESK_SP_API_ENDPOINT": fake.url,
        "DRAFTDESK_SP_API_TOKEN_URL": fake.token_url,
    }
    env.update(overrides)
    return env
