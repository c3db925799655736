"""Reading order files: both formats, bad rows with line numbers, whole orders or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.orders import DRAFTDESK_CSV_COLUMNS, OrderStatus, UnreadableOrderFile, open_order_file
from bot.orders.sources import SourceBatch

HEADER = ",".join(DRAFTDESK_CSV_COLUMNS)
REPORT_HEADER = "\t".join(
    [
        "amazon-order-id",
        "merchant-order-id",
        "purchase-date",
        "last-updated-date",
        "order-status",
        "fulfillment-channel",
        "sales-channel",
        "product-name",
        "sku",
        "asin",
        "item-status",
        "quantity",
        "currency",
        "item-price",
        "item-tax",
        "ship-city",
    ]
)


def read(
    tmp_path: Path, text: str, name: str = "orders.csv", encoding: str = "utf-8"
) -> SourceBatch:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return open_order_file(path).read()


def failures(batch: SourceBatch) -> dict[int | None, str]:
    return {failure.line: failure.error for failure in batch.failed}


def test_draftdesk_csv_multi_item_partial_shipment(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        f"""{HEADER}
112-0000001,2026-03-01,PartiallyShipped,2026-03-02,2026-03-05,,UPS,Z1,C4,"Pot, 4L",cookware,119,1,Al
112-0000001,2026-03-01,PartiallyShipped,,2026-03-09,,,,B6,Knife block,Kitchen Storage,45,2,Al
""",
    )
    assert batch.failed == [] and batch.rows == 2
    (order,) = batch.orders
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert (order.shipped_at, order.estimated_delivery) == (date(2026, 3, 2), date(2026, 3, 9))
    assert (order.carrier, order.tracking_number, order.buyer_name) == ("UPS", "Z1", "Al")
    casserole, block = order.items
    assert (casserole.category, casserole.price, casserole.quantity_shipped) == (
        "cookware",
        Decimal("119.00"),
        1,
    )
    assert (block.category, block.quantity, block.quantity_shipped) == ("kitchen_storage", 2, 0)


def test_bad_rows_are_listed_and_good_rows_kept(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        f"""{HEADER}
112-0000001-0000001,2026-03-01,Shipped,2026-03-02,,2026-03-04,UPS,1Z1,SKU-1,Kettle,small_appliances,49.99,1,
112-0000002-0000002,03/01/2026,Shipped,,,,,,SKU-2,Pan,cookware,10,1,

112-0000003-0000003,2026-03-01,Lost in transit,,,,,,SKU-3,Pan,cookware,10,1,
112-0000004-0000004,2026-03-01,Pending,,,,,,SKU-4,Pan,cookware,-3,0,
112-0000005-0000005,2026-03-01,Pending,,,,,,,Pan,cookware,ten,1,
112-0000006-0000006,2026-03-01,Pending,,,,,,SKU-6,Pan
,2026-03-01,Pending,,,,,,SKU-7,Pan,cookware,1,1,
112-0000008-0000008,2026-03-05,Delivered,,,2026-03-01,,,SKU-8,Pan,cookware,1,1,
112-0000009-0000009,2026-03-01,pending,,,,,,SKU-9,Towels,bath,12.5,3,Lucas
""",
    )
    assert [order.order_id for order in batch.orders] == [
        "112-0000001-0000001",
        "112-0000009-0000009",
    ]
    assert failures(batch) == {
        3: "purchase_date '03/01/2026' is not an ISO date (YYYY-MM-DD)",
        5: "status: unknown order status 'Lost in transit'",
        6: "price '-3' must be zero or more; quantity must be at least 1, got 0",
        7: "sku is empty; price 'ten' is not a number",
        8: "expected 14 columns, found 10",
        9: "order_id is empty",
        10: "delivered_at (2026-03-01) is before the purchase date (2026-03-05)",
    }
    assert batch.failed[0].order_id == "112-0000002-0000002"


def test_an_order_with_one_bad_row_is_rejected_whole(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        f"""{HEADER}
112-0000001-0000001,2026-03-01,Shipped,,,,,,SKU-1,Kettle,,49.99,1,
112-0000002-0000002,2026-03-01,Shipped,,,,,,SKU-2,Pan,,10,1,
112-0000001-0000001,2026-03-01,Shipped,,,,,,SKU-3,Mug,,abc,1,
""",
    )
    assert [order.order_id for order in batch.orders] == ["112-0000002-0000002"]
    assert failures(batch) == {
        2: "order 112-0000001-0000001 not imported: line(s) 4 of the same order could not be read",
        4: "price 'abc' is not a number",
    }


def test_rows_of_one_order_must_agree(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        f"""{HEADER}
112-0000001-0000001,2026-03-01,Shipped,,,,,,SKU-1,Kettle,,49.99,1,
112-0000001-0000001,2026-03-02,Shipped,,,,,,SKU-2,Pan,,10,1,
""",
    )
    assert batch.orders == []
    assert set(failures(batch)) == {2, 3}
    assert "purchase_date differs between lines 2, 3" in batch.failed[0].error


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        f"""{HEADER}
112-0000001-0000001,2026-03-01,Shipped,,,,,,SKU-1,"Kettle,
with a title on two lines",,49.99,1,
112-0000002-0000002,2026-03-01,Shipped,,,,,,SKU-2,Pan,,x,1,
""",
    )
    assert batch.orders[0].items[0].title == "Kettle,\nwith a title on two lines"
    assert list(failures(batch)) == [4]


def test_marketplace_order_report(tmp_path: Path) -> None:
    rows = [
        # 06:00 UTC on 1 November is still 31 October in California: no holiday window.
        [
            "112-1000001-0000001",
            "",
            "2026-11-01T06:00:00+00:00",
            "",
            "Shipped - Delivered to Buyer",
            "Merchant",
            "Amazon.com",
            "Kettle, 1.7 L",
            "BW-KET-17",
            "B0X",
            "Shipped",
            "1",
            "USD",
            "49.99",
            "4.12",
            "PORTLAND",
        ],
        [
            "112-1000002-0000002",
            "",
            "2026-11-02T18:00:00Z",
            "",
            "Shipped",
            "Amazon",
            "Amazon.com",
            "Oven mitts",
            "BW-MIT-2",
            "B0Y",
            "Shipped",
            "3",
            "USD",
            "44.97",
            "",
            "AUSTIN",
        ],
        [
            "112-1000002-0000002",
            "",
            "2026-11-02T18:00:00Z",
            "",
            "Shipped",
            "Amazon",
            "Amazon.com",
            "Knife block",
            "BW-BLK-6",
            "B0Z",
            "Unshipped",
            "1",
            "USD",
            "45.00",
            "",
            "AUSTIN",
        ],
        [
            "112-1000003-0000003",
            "",
            "2026-11-03T10:00:00-08:00",
            "",
            "Cancelled",
            "Merchant",
            "Amazon.com",
            "Towels",
            "BW-TWL-4",
            "B0W",
            "Cancelled",
            "0",
            "USD",
            "",
            "",
            "MIAMI",
        ],
        [
            "112-1000004-0000004",
            "",
            "2026-11-03T10:00:00Z",
            "",
            "Pending",
            "Carrier pigeon",
            "Amazon.com",
            "Towels",
            "BW-TWL-4",
            "B0W",
            "Unshipped",
            "1",
            "usd",
            "12",
            "",
            "MIAMI",
        ],
    ]
    text = REPORT_HEADER + "\n" + "\n".join("\t".join(row) for row in rows) + "\n"
    batch = read(tmp_path, text, name="report.txt")
    kettle, mitts_and_block, towels = batch.orders
    assert kettle.purchase_date == date(2026, 10, 31)
    assert kettle.status is OrderStatus.DELIVERED and kettle.fulfillment_channel == "seller"
    assert kettle.marketplace == "Amazon.com" and kettle.currency == "USD"
    mitts, block = mitts_and_block.items
    assert mitts_and_block.fulfillment_channel == "marketplace"
    assert (mitts.price, mitts.quantity, mitts.title) == (Decimal("14.99"), 3, "Oven mitts")
    assert block.quantity_shipped == 3 - 2  # "Shipped" order: every line counts as shipped
    assert towels.status is OrderStatus.CANCELED and towels.items[0].quantity == 0
    assert towels.items[0].price is None
    assert failures(batch) == {6: "fulfillment-channel 'Carrier pigeon' is not Amazon or Merchant"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("id,date,what\n1,2,3\n", "unknown order file"),
        ("order_id,purchase_date,status\n", "missing: shipped_at"),
        (HEADER + ",notes\n", "unexpected: notes"),
        ("amazon-order-id\tpurchase-date\n", "order report without column(s): order-status, sku"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UnreadableOrderFile) as caught:
        read(tmp_path, text)
    assert message in caught.value.message


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableOrderFile, match="cannot read"):
        open_order_file(tmp_path / "missing.csv")
    binary = tmp_path / "orders.xlsx"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(UnreadableOrderFile, match="not a text file"):
        open_order_file(binary)


def test_bom_and_windows_1252(tmp_path: Path) -> None:
    row = "112-0000001-0000001,2026-03-01,Shipped,,,,,,SKU-1,Crème brûlée dish,,9.5,1,Zoë\r\n"
    assert read(tmp_path, "\ufeff" + HEADER + "\r\n" + row).orders[0].buyer_name == "Zoë"
    legacy = read(tmp_path, HEADER + "\r\n" + row, name="legacy.csv", encoding="cp1252")
    assert legacy.orders[0].items[0].title == "Crème brûlée dish"
