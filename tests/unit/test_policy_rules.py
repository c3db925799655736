"""The policy YAML: the demo file loads, and broken rules fail with clear messages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.policy import (
    DEMO_POLICY_FILE,
    InvalidPolicy,
    PolicyFileNotFound,
    PolicyRules,
    load_policy,
    parse_policy,
)


def test_demo_policy_loads_with_the_marketplace_defaults() -> None:
    rules = load_policy(DEMO_POLICY_FILE)
    assert rules.seller_name == "Brightwater Home"
    assert rules.return_window_days == 30
    assert rules.holiday_window.returnable_until == "01-31"
    assert rules.refund.business_days_after_return == 2
    assert rules.categories["small_appliances"].warranty_months == 24
    assert not rules.categories["personalised"].returnable
    assert rules.returnless_refund.max_item_price == Decimal("20.00")


def test_empty_policy_means_marketplace_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("# nothing set\n", encoding="utf-8")
    rules = load_policy(path)
    assert rules == PolicyRules()
    assert rules.return_window_days == 30 and rules.restocking_fee.max_percent == 20


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"return_window_days": 14}, "at least the marketplace's 30 days"),
        ({"restocking_fee": {"max_percent": 60}}, "restocking_fee.max_percent"),
        (
            {"conditions": {"original": {"describes": "unused", "restocking_fee_percent": 5}}},
            "conditions.original must be returnable with no restocking fee",
        ),
        (
            {
                "conditions": {
                    "original": {"describes": "x"},
                    "used": {"describes": "y", "restocking_fee_percent": 30},
                }
            },
            "above restocking_fee.max_percent (20)",
        ),
        ({"conditions": {"used": {"describes": "y"}}}, "conditions must describe 'original'"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"retrun_window_days": 30}, "retrun_window_days: Extra inputs are not permitted"),
        ({"seller_fault_reasons": ["bored"]}, "unknown reason(s) bored"),
        ({"holiday_window": {"purchased_from": "13-01"}}, "holiday_window.purchased_from"),
        ({"categories": {"bedding": {"window_days": 10}}}, "categories.bedding.window_days"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_invalid_rules_are_named(data: Any, message: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_policy(data, origin="policy.yaml")
    assert message in caught.value.message
    assert caught.value.message.startswith("policy.yaml: ")
    assert caught.value.code == "invalid_policy"


def test_category_keys_are_normalised() -> None:
    rules = parse_policy({"categories": {"Small Appliances": {"warranty_months": 12}}})
    assert rules.category("small_appliances") is not None


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileNotFound) as missing:
        load_policy(tmp_path / "nope.yaml")
    assert missing.value.code == "policy_file_not_found"
    broken = tmp_path / "broken.yaml"
    broken.write_text("return_window_days: 30\n  holiday: [\n", encoding="utf-8")
    with pytest.raises(InvalidPolicy) as invalid:
        load_policy(broken)
    assert "broken.yaml: not valid YAML (line" in invalid.value.message
