"""Orders synced from the Selling Partner API through the real wiring (settings → services →
LWA → Orders v0) against the local fake of Amazon, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.orders import OrderStatus, get_order
from bot.orders.errors import OrderSyncBusy, SellingPartnerApiError
from bot.orders.sync import claim_sync, read_sync_state
from bot.services import MarketplaceOrders, build_marketplace_orders, open_database
from tests.orders.conftest import amazon_item, amazon_order
from tests.orders.fake_amazon import LISTING_DELAY, FakeAmazon, parse_iso

A, B, C, D = (f"112-100000{n}-000000{n}" for n in range(1, 5))
TOO_OLD = "112-1000000-0000000"


@pytest.fixture
def marketplace(sp_api_settings: Any, amazon: FakeAmazon, hour_ago: datetime) -> Iterator[Any]:
    """Three orders changed in the last days, one changed two months ago; Amazon's clock an
    hour behind ours. Yields ``(database, open_orders)``: ``open_orders()`` builds the
    clients as a new process would (the cursor lives in the database)."""
    amazon.now = lambda: hour_ago
    amazon.put_order(
        amazon_order(A, updated=hour_ago - timedelta(days=3)),
        [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")],
    )
    amazon.put_order(
        amazon_order(B, updated=hour_ago - timedelta(days=1), status="Unshipped"),
        [
            amazon_item("KET-17", "Electric kettle", shipped=0),
            amazon_item("TWL-4", "Bath towels", shipped=0, amount="20.00"),
            amazon_item("SOAP-2", "Olive soap", shipped=0, amount="6.00"),
        ],
    )
    amazon.put_order(
        amazon_order(C, updated=hour_ago - timedelta(minutes=10), channel="AFN"),
        [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")],
    )
    amazon.put_order(
        amazon_order(TOO_OLD, updated=hour_ago - timedelta(days=60)),
        [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")],
    )
    database = open_database(sp_api_settings, migrate=False)
    built: list[MarketplaceOrders] = []

    def open_orders() -> MarketplaceOrders:
        orders = build_marketplace_orders(sp_api_settings, database.session_factory)
        assert orders is not None
        built.append(orders)
        return orders

    yield database, open_orders
    for orders in built:
        orders.close()
    database.dispose()


def _get_orders_queries(amazon: FakeAmazon) -> list[dict[str, str]]:
    return [r.query for r in amazon.requests if r.operation == "getOrders"]


def _items_asked(amazon: FakeAmazon) -> list[str]:
    return [r.path.split("/")[4] for r in amazon.requests if r.operation == "getOrderItems"]


def test_sync_imports_changed_orders_and_the_next_sync_asks_only_for_newer_ones(
    marketplace: Any, amazon: FakeAmazon, hour_ago: datetime
) -> None:
    database, open_orders = marketplace
    before = datetime.now(UTC)
    first = open_orders().sync.run()
    after = datetime.now(UTC)

    # First sync: the last 30 days of changes, two pages, every order with its items.
    (query, next_page) = _get_orders_queries(amazon)
    assert set(query) == {"MarketplaceIds", "LastUpdatedAfter"} and query["MarketplaceIds"] == (
        "ATVPDKIKX0DER"
    )
    asked_from = parse_iso(query["LastUpdatedAfter"])
    assert before - timedelta(days=30) <= asked_from <= after - timedelta(days=30)
    assert set(next_page) == {"MarketplaceIds", "NextToken"}
    assert sorted(_items_asked(amazon)) == [A, B, B, C]  # B's three items: two pages
    assert (first.pages, first.imported, first.inserted, first.failed) == (2, 3, 3, [])
    # The cursor is what the API says it listed up to (its clock minus two minutes).
    assert first.synced_until == hour_ago - LISTING_DELAY
    # One token exchange; every call carried the token LWA issued.
    assert len(amazon.token_requests) == 1
    assert {r.token for r in amazon.requests} == {next(iter(amazon._tokens))}
    with database.session_factory() as session:
        kettle = get_order(session, order_id=B)
        assert get_order(session, order_id=TOO_OLD) is None
        state = read_sync_state(session)
    assert kettle is not None and kettle.status is OrderStatus.UNSHIPPED
    assert kettle.source == "sp_api" and [i.sku for i in kettle.items] == [
        "KET-17",
        "TWL-4",
        "SOAP-2",
    ]
    assert state is not None and state.synced_until == first.synced_until
    assert state.lease_owner is None and state.last_error is None

    # An hour on the marketplace: B ships, D is bought. A new process syncs again.
    amazon.put_order(
        amazon_order(B, updated=hour_ago + timedelta(minutes=30)),
        [amazon_item("KET-17", "Electric kettle")],
    )
    amazon.put_order(
        amazon_order(D, updated=hour_ago + timedelta(minutes=40)),
        [amazon_item("TWL-4", "Bath towels", amount="20.00")],
    )
    amazon.now = lambda: datetime.now(UTC)
    amazon.requests.clear()
    second = open_orders().sync.run()

    (query,) = _get_orders_queries(amazon)
    assert parse_iso(query["LastUpdatedAfter"]) == first.synced_until
    assert sorted(_items_asked(amazon)) == [B, D]  # A and C were not asked for again
    assert (second.imported, second.inserted, second.updated, second.unchanged) == (2, 1, 1, 0)
    assert second.synced_until is not None and second.synced_until > first.synced_until
    with database.session_factory() as session:
        shipped = get_order(session, order_id=B)
        assert get_order(session, order_id=D) is not None
    assert shipped is not None and shipped.status is OrderStatus.SHIPPED
    assert [i.sku for i in shipped.items] == ["KET-17"]

    # Nothing changed since: the third sync asks from the second's cursor and writes nothing.
    amazon.requests.clear()
    third = open_orders().sync.run()
    (query,) = _get_orders_queries(amazon)
    assert parse_iso(query["LastUpdatedAfter"]) == second.synced_until
    assert (third.imported, third.inserted, third.updated) == (0, 0, 0)


def test_since_replaces_the_cursor_and_never_skips_a_gap(
    marketplace: Any, amazon: FakeAmazon, hour_ago: datetime
) -> None:
    database, open_orders = marketplace
    orders = open_orders()
    first = orders.sync.run(since=hour_ago - timedelta(days=2))
    assert (first.imported, first.inserted) == (2, 2)  # B and C; A changed three days ago
    assert first.synced_until == hour_ago - LISTING_DELAY

    # Earlier than the cursor: everything from then is asked for, the cursor moves on.
    amazon.requests.clear()
    again = orders.sync.run(since=hour_ago - timedelta(days=90))
    query = _get_orders_queries(amazon)[0]
    assert parse_iso(query["LastUpdatedAfter"]) == hour_ago - timedelta(days=90)
    assert (again.imported, again.inserted, again.unchanged) == (4, 2, 2)

    # Later than the cursor: changes in between were not asked for, so the cursor stays.
    amazon.now = lambda: datetime.now(UTC)
    later = orders.sync.run(since=hour_ago + timedelta(minutes=30))
    assert later.synced_until == first.synced_until
    with database.session_factory() as session:
        state = read_sync_state(session)
    assert state is not None and state.synced_until == first.synced_until


def test_a_failed_sync_keeps_the_cursor_and_records_the_error(
    marketplace: Any, amazon: FakeAmazon, hour_ago: datetime
) -> None:
    database, open_orders = marketplace
    orders = open_orders()
    first = orders.sync.run()
    amazon.now = lambda: datetime.now(UTC)
    amazon.put_order(
        amazon_order(D, updated=hour_ago + timedelta(minutes=40)),
        [amazon_item("TWL-4", "Bath towels", amount="20.00")],
    )
    amazon.fail_next("getOrderItems", status=400)
    with pytest.raises(SellingPartnerApiError, match=r"getOrderItems failed \(HTTP 400\)"):
        orders.sync.run()
    with database.session_factory() as session:
        state = read_sync_state(session)
    assert state is not None and state.synced_until == first.synced_until
    assert state.lease_owner is None and "HTTP 400" in (state.last_error or "")
    # The next sync asks for the same changes again and gets them.
    amazon.requests.clear()
    retried = orders.sync.run()
    (query,) = _get_orders_queries(amazon)
    assert parse_iso(query["LastUpdatedAfter"]) == first.synced_until
    assert retried.inserted == 1


def test_one_process_syncs_at_a_time_and_only_when_due(
    marketplace: Any, amazon: FakeAmazon
) -> None:
    database, open_orders = marketplace
    one, other = open_orders(), open_orders()
    now = datetime.now(UTC)
    held = claim_sync(
        database.session_factory, owner="other-host:1:abc", now=now, lease=timedelta(minutes=10)
    )
    assert held is not None
    with pytest.raises(OrderSyncBusy, match="another order sync is running"):
        one.sync.run()
    assert one.sync.run_if_due(interval_seconds=0) is None
    assert amazon.requests == []
    # A lease that ran out (its holder died) is taken over.
    with database.session_factory() as session, session.begin():
        state = read_sync_state(session)
        assert state is not None
        state.lease_until = now - timedelta(seconds=1)
    assert one.sync.run_if_due(interval_seconds=900) is not None
    # Just synced: not due again for the interval, in this process or another.
    assert one.sync.run_if_due(interval_seconds=900) is None
    assert other.sync.run_if_due(interval_seconds=900) is None
    assert other.sync.run_if_due(interval_seconds=0) is not None


def test_the_worker_loop_syncs_in_the_background(sp_api_settings: Any, amazon: FakeAmazon) -> None:
    from bot.services import build_services, start_mail, start_order_sync
    from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex

    amazon.put_order(
        amazon_order(A, updated=datetime.now(UTC) - timedelta(hours=3)),
        [amazon_item("MUG-4", "Stoneware Mug Set (4 pieces)")],
    )
    settings = sp_api_settings.model_copy(update={"sp_api_sync_seconds": 0.2})
    services = build_services(
        settings,
        embedder=FakeEmbedder(),
        index=InMemoryIndex(),
        drafter=FakeDrafter(),
        migrate=False,
    )
    try:
        assert start_mail(services) is False  # no mailbox: the order sync is separate
        assert start_order_sync(services) is True
        orders = services.marketplace_orders
        assert orders is not None and orders.loop is not None
        loop = orders.loop
        assert start_order_sync(services) is True  # a second call starts nothing new
        assert orders.loop is loop
        deadline = time.monotonic() + 10
        while orders.loop.last_report is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert orders.loop.last_report is not None
        with services.session_factory() as session:
            assert get_order(session, order_id=A) is not None
        # Due again after the interval: the loop keeps syncing.
        deadline = time.monotonic() + 10
        while len(_get_orders_queries(amazon)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_get_orders_queries(amazon)) >= 2
    finally:
        services.close()
    assert orders.loop._thread is None  # stopped with the services
