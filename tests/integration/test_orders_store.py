"""The orders store on SQLite and (with DRAFTDESK_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.facts import OrderFacts
from bot.orders import (
    DRAFTDESK_CSV_COLUMNS,
    OrderUpsert,
    get_order,
    import_orders_file,
    list_orders,
    load_demo_orders,
    lookup_order_facts,
    upsert_orders,
)
from bot.orders import demo as demo_ids
from bot.orders.models import Order, OrderItem
from knowledge_base.db import make_engine, make_session_factory, transaction

ROWS = [
    "112-0000001-0000001,2026-03-01,delivered,2026-03-02,2026-03-04,2026-03-04,UPS,1Z1,"
    "KET,Kettle,small_appliances,49.99,1,Maria Lopez",
    "112-0000002-0000002,2026-03-02,PartiallyShipped,2026-03-03,2026-03-06,,USPS,94001,"
    "POT,Casserole,cookware,119,1,Dan Kim",
    "112-0000002-0000002,2026-03-02,PartiallyShipped,,2026-03-09,,,,"
    "BLK,Knife block,kitchen_storage,45,2,Dan Kim",
    "112-0000003-0000003,2026-03-03,Unshipped,,2026-03-08,,,,KNF,Chef's knife,knives,64,1,Tom",
    "112-0000004-0000004,2026-03-03,Unshipped,,,,,,KNF,Chef's knife,knives,sixty,1,Tom",
]
CSV = "\n".join([",".join(DRAFTDESK_CSV_COLUMNS), *ROWS]) + "\n"


@pytest.fixture
def engine(workflow_db_url: str) -> Iterator[Engine]:
    engine = make_engine(workflow_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def csv_file(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_keeps_good_orders_and_lists_bad_rows(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(factory) as session:
        report = import_orders_file(session, path=csv_file(tmp_path))
    assert (report.imported, report.imported_rows, report.inserted) == (3, 4, 3)
    assert [(f.line, f.error) for f in report.failed] == [(6, "price 'sixty' is not a number")]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 3
        assert session.scalar(select(func.count()).select_from(OrderItem)) == 4
        stored = get_order(session, order_id="112-0000002-0000002")
    assert stored is not None and stored.source == "draftdesk_csv"
    assert [(i.line_no, i.sku, i.quantity_shipped) for i in stored.items] == [
        (1, "POT", 1),
        (2, "BLK", 0),
    ]
    assert str(stored.items[1].price) == "45.00" and stored.buyer_name == "Dan Kim"
    assert stored.created_at.tzinfo is not None


def test_reimport_changes_nothing_and_a_changed_row_updates_its_order(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    path = csv_file(tmp_path)
    with transaction(factory) as session:
        import_orders_file(session, path=path)
    with factory() as session:
        before = {o.order_id: o.updated_at for o in session.scalars(select(Order))}
    with transaction(factory) as session:
        again = import_orders_file(session, path=path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    with factory() as session:
        assert {o.order_id: o.updated_at for o in session.scalars(select(Order))} == before
    path.write_text(CSV.replace("2026-03-08,,,,KNF", "2026-03-10,,,,KNF"), encoding="utf-8")
    with transaction(factory) as session:
        changed = import_orders_file(session, path=path)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 2)
    with factory() as session:
        facts = lookup_order_facts(session, order_id="112-0000003-0000003")
        assert facts is not None and facts.estimated_delivery == date(2026, 3, 10)
        assert session.scalar(select(func.count()).select_from(OrderItem)) == 4


def test_lookup_order_facts(factory: sessionmaker[Session], tmp_path: Path) -> None:
    with transaction(factory) as session:
        import_orders_file(session, path=csv_file(tmp_path))
    with factory() as session:
        facts = lookup_order_facts(session, order_id=" #112-0000001-0000001 ")
        assert lookup_order_facts(session, order_id="112-9999999-9999999") is None
        assert lookup_order_facts(session, order_id="") is None
    assert isinstance(facts, OrderFacts)
    assert facts.model_dump(exclude={"items"}) == {
        "order_id": "112-0000001-0000001",
        "status": "delivered",
        "purchase_date": date(2026, 3, 1),
        "shipped_at": date(2026, 3, 2),
        "estimated_delivery": date(2026, 3, 4),
        "delivered_at": date(2026, 3, 4),
        "carrier": "UPS",
        "tracking_number": "1Z1",
        "fulfillment_channel": None,
        "marketplace": None,
        "currency": None,  # the CSV has no currency column: the policy's own is assumed
    }
    (item,) = facts.items
    assert (item.sku, item.title, item.category, item.price, item.quantity) == (
        "KET",
        "Kettle",
        "small_appliances",
        49.99,
        1,
    )
    assert "buyer" not in facts.model_dump_json()  # drafts never see other fields


def test_demo_orders_load_idempotently(factory: sessionmaker[Session]) -> None:
    today = date(2026, 12, 1)
    with transaction(factory) as session:
        first = load_demo_orders(session, today=today)
    with transaction(factory) as session:
        second = load_demo_orders(session, today=today)
    assert (first.inserted, second.unchanged, second.inserted + second.updated) == (17, 17, 0)
    with factory() as session:
        kettle = lookup_order_facts(session, order_id=demo_ids.DELIVERED_10_DAYS_AGO)
        listed = list_orders(session, limit=3)
    assert kettle is not None and kettle.delivered_at == date(2026, 11, 21)
    assert listed[0].order_id == demo_ids.PENDING


def test_items_are_replaced_not_appended(factory: sessionmaker[Session]) -> None:
    order = OrderUpsert.model_validate(
        {
            "order_id": "112-0000009-0000009",
            "purchase_date": "2026-03-01",
            "status": "Shipped",
            "items": [{"sku": "A", "title": "Mug"}, {"sku": "B", "title": "Bowl"}],
        }
    )
    with transaction(factory) as session:
        upsert_orders(session, orders=[order], source="test")
        loaded = session.get(Order, order.order_id)
        assert loaded is not None and len(loaded.items) == 2
        smaller = order.model_copy(update={"items": order.items[:1]})
        result = upsert_orders(session, orders=[smaller], source="test")
        assert result.updated == 1
        # The identity map must not serve the stale two-item order.
        assert [item.sku for item in session.get(Order, order.order_id).items] == ["A"]  # type: ignore[union-attr]


def test_concurrent_imports_store_each_order_once(engine: Engine, tmp_path: Path) -> None:
    path = csv_file(tmp_path)
    factory = make_session_factory(engine)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            with transaction(factory) as session:
                import_orders_file(session, path=path)
        except BaseException as exc:  # reported below, with the failing thread's error
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 3
        assert session.scalar(select(func.count()).select_from(OrderItem)) == 4
