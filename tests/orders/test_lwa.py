"""Login with Amazon's token exchange and the Orders client using its tokens, against the local
fake of Amazon (real HTTP on 127.0.0.1, no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.orders.errors import SellingPartnerCredentialsRefused
from bot.orders.lwa import LwaAccessTokens, LwaCredentials
from bot.orders.sp_api import SellingPartnerOrdersClient
from tests.fakes import FakeClock
from tests.orders.conftest import amazon_item, amazon_order
from tests.orders.fake_amazon import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeAmazon

ORDER = "112-2233445-5566778"
GOOD = LwaCredentials(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(amazon: FakeAmazon, clock: FakeClock) -> Iterator[LwaAccessTokens]:
    with LwaAccessTokens(
        GOOD, token_url=amazon.token_url, monotonic=clock.monotonic, sleep=clock.sleep
    ) as tokens:
        yield tokens


@pytest.fixture
def client(
    amazon: FakeAmazon, tokens: LwaAccessTokens, clock: FakeClock
) -> Iterator[SellingPartnerOrdersClient]:
    amazon.put_order(
        amazon_order(ORDER, updated=datetime.now(UTC) - timedelta(hours=1)),
        [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")],
    )
    with SellingPartnerOrdersClient(
        base_url=amazon.url, access_token=tokens, clock=clock, max_attempts=4
    ) as client:
        yield client


def test_the_refresh_token_is_exchanged_once_and_the_token_cached_until_near_expiry(
    amazon: FakeAmazon, tokens: LwaAccessTokens, clock: FakeClock
) -> None:
    first = tokens()
    assert tokens() == first
    (form,) = amazon.token_requests
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    clock.advance(3600 - 301)  # still five minutes before LWA's expiry
    assert tokens() == first and len(amazon.token_requests) == 1
    clock.advance(2)
    assert tokens() != first and len(amazon.token_requests) == 2


@pytest.mark.parametrize(
    ("credentials", "answer"),
    [
        (
            LwaCredentials(
                client_id=CLIENT_ID, client_secret="wrong-secret", refresh_token=REFRESH_TOKEN
            ),
            "invalid_client: Client authentication failed",
        ),
        (
            LwaCredentials(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token="Atzr|revoked"
            ),
            "invalid_grant: The request has an invalid grant parameter : refresh_token",
        ),
    ],
)
def test_refused_credentials_are_one_clear_error_without_the_secrets(
    amazon: FakeAmazon, clock: FakeClock, credentials: LwaCredentials, answer: str
) -> None:
    with (
        LwaAccessTokens(credentials, token_url=amazon.token_url, sleep=clock.sleep) as tokens,
        pytest.raises(SellingPartnerCredentialsRefused) as caught,
    ):
        tokens()
    message = caught.value.message
    assert answer in message and "\n" not in message
    assert caught.value.code == "sp_api_credentials_refused"
    assert credentials.client_secret not in message and credentials.refresh_token not in message
    assert clock.sleeps == [] and len(amazon.token_requests) == 1  # a refusal is not retried
    assert credentials.client_secret not in repr(credentials)


def test_token_endpoint_trouble_is_retried(
    amazon: FakeAmazon, tokens: LwaAccessTokens, clock: FakeClock
) -> None:
    amazon.fail_next("token", status=503, times=2)
    amazon.fail_next("token", status=429, retry_after="7")
    assert tokens().startswith("Atza|")
    assert clock.sleeps == [1.0, 2.0, 7.0] and len(amazon.token_requests) == 4


def test_orders_calls_carry_the_lwa_token_and_honour_retry_after(
    amazon: FakeAmazon, client: SellingPartnerOrdersClient, clock: FakeClock
) -> None:
    amazon.fail_next("getOrder", status=429, retry_after="3")
    order = client.get_order(ORDER)
    assert order is not None and order["AmazonOrderId"] == ORDER
    assert clock.sleeps == [3.0]
    assert [r.operation for r in amazon.requests] == ["getOrder", "getOrder"]
    (issued,) = amazon._tokens
    assert {r.token for r in amazon.requests} == {issued}
    assert client.get_order("112-0000000-0000000") is None  # unknown to Amazon: 404


def test_an_expired_token_is_replaced_once(
    amazon: FakeAmazon, client: SellingPartnerOrdersClient, tokens: LwaAccessTokens
) -> None:
    assert len(client.get_order_items(ORDER)) == 1
    amazon.expire_tokens()  # Amazon says it expired before our cache thought so
    assert len(client.get_order_items(ORDER)) == 1
    first, expired, fresh = (r.token for r in amazon.requests)
    assert first == expired != fresh
    assert len(amazon.token_requests) == 2
