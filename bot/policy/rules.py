"""The seller's return, refund and cancellation rules, read from a YAML file.

Every number is a setting with a marketplace default (see DOMAIN.md); validation refuses
rules the marketplace forbids (a window shorter than the marketplace's, a restocking fee
above 50%, a fee on returns in original condition).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.policy.errors import InvalidPolicy, PolicyFileNotFound

RETURN_REASONS = (
    "damaged",
    "defective",
    "wrong_item",
    "missing_parts",
    "not_as_described",
    "arrived_late",
    "changed_mind",
    "ordered_by_mistake",
    "better_price",
    "other",
)
SELLER_FAULT_REASONS = ("damaged", "defective", "wrong_item", "missing_parts", "not_as_described")
MAX_RESTOCKING_FEE_PERCENT = 50.0
DEMO_POLICY_FILE = (
    Path(__file__).resolve().parents[2] / "knowledge_base" / "demo" / "_seller" / "policy.yaml"
)
_MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HolidayWindow(_Rules):
    """Items bought between ``purchased_from`` and ``purchased_until`` (MM-DD) can be returned
    until ``returnable_until`` of the following year, when that is later than the window."""

    enabled: bool = True
    purchased_from: str = Field(default="11-01", pattern=_MONTH_DAY)
    purchased_until: str = Field(default="12-31", pattern=_MONTH_DAY)
    returnable_until: str = Field(default="01-31", pattern=_MONTH_DAY)

    @model_validator(mode="after")
    def _from_before_until(self) -> HolidayWindow:
        if self.purchased_from > self.purchased_until:
            raise ValueError("purchased_from must not be after purchased_until (same year)")
        return self


class CategoryRule(_Rules):
    """Exceptions for one product category (keys are lower_snake_case categories)."""

    label: str | None = None  # plural, for sentences: "small appliances"
    returnable: bool = True
    non_returnable_because: str | None = None  # "because each one is engraved to order"
    window_days: int | None = Field(default=None, ge=1, le=730)
    original_condition_only: bool = False
    original_condition_because: str | None = None  # "for hygiene reasons"
    warranty_months: int | None = Field(default=None, ge=1, le=1200)


class ConditionRule(_Rules):
    """What a return in this condition allows; ``describes`` completes "…because it …"."""

    describes: str
    returnable: bool = True
    restocking_fee_percent: float = Field(default=0.0, ge=0.0, le=MAX_RESTOCKING_FEE_PERCENT)


def _default_conditions() -> dict[str, ConditionRule]:
    return {
        "original": ConditionRule(describes="is unused and in its original packaging"),
        "opened": ConditionRule(describes="has been opened"),
        "used": ConditionRule(describes="has been used", restocking_fee_percent=20.0),
        "damaged_by_buyer": ConditionRule(
            describes="was damaged after it was delivered", returnable=False
        ),
    }


class RestockingFee(_Rules):
    max_percent: float = Field(default=20.0, ge=0.0, le=MAX_RESTOCKING_FEE_PERCENT)


class RefundRules(_Rules):
    method: Literal["original_payment_method"] = "original_payment_method"
    method_text: str = "your original payment method"
    business_days_after_return: int = Field(default=2, ge=0, le=30)
    non_business_days: list[date] = Field(default_factory=list)  # public holidays


# ISO 4217 codes as marketplaces report them ("USD", "EUR", "JPY").
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class ReturnlessRefund(_Rules):
    """Refund without asking for the item back; never for returns outside the policy."""

    enabled: bool = False
    # ``max_item_price`` is in ``currency``; an order in another currency is returnless only
    # up to its own limit in ``max_item_price_by_currency`` (never converted at a guessed
    # rate: 20 is a small refund in dollars and nothing in yen).
    max_item_price: Decimal = Field(default=Decimal("0"), ge=0)
    currency: CurrencyCode = "USD"
    max_item_price_by_currency: dict[CurrencyCode, Annotated[Decimal, Field(ge=0)]] = Field(
        default_factory=dict
    )
    reasons: list[str] = Field(default_factory=lambda: list(SELLER_FAULT_REASONS))
    excluded_categories: list[str] = Field(default_factory=list)

    def limit_in(self, currency: str | None) -> Decimal | None:
        """The highest returnless item price in ``currency`` (None: no limit is set in it,
        so nothing in that currency is refunded without a return). An order without a
        currency is taken to be in the policy's own."""
        code = (currency or self.currency).upper()
        if code == self.currency:
            return self.max_item_price
        return self.max_item_price_by_currency.get(code)


class PolicyRules(_Rules):
    """Everything the policy engine decides from; load with :func:`load_policy`."""

    seller_name: str = "the seller"
    timezone: str = "America/Los_Angeles"
    marketplace_minimum_window_days: int = Field(default=30, ge=0, le=365)
    return_window_days: int = Field(default=30, ge=1, le=730)
    holiday_window: HolidayWindow = Field(default_factory=HolidayWindow)
    seller_fault_reasons: list[str] = Field(default_factory=lambda: list(SELLER_FAULT_REASONS))
    conditions: dict[str, ConditionRule] = Field(default_factory=_default_conditions)
    categories: dict[str, CategoryRule] = Field(default_factory=dict)
    restocking_fee: RestockingFee = Field(default_factory=RestockingFee)
    refund: RefundRules = Field(default_factory=RefundRules)
    returnless_refund: ReturnlessRefund = Field(default_factory=ReturnlessRefund)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("categories", "conditions", mode="before")
    @classmethod
    def _normalise_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {"_".join(str(k).replace("-", " ").lower().split()): v for k, v in value.items()}
        return value

    @field_validator("seller_fault_reasons")
    @classmethod
    def _known_reasons(cls, value: list[str]) -> list[str]:
        unknown = [reason for reason in value if reason not in RETURN_REASONS]
        if unknown:
            raise ValueError(
                f"unknown reason(s) {', '.join(unknown)}; known: {', '.join(RETURN_REASONS)}"
            )
        return value

    @model_validator(mode="after")
    def _marketplace_rules(self) -> PolicyRules:
        problems: list[str] = []
        if self.return_window_days < self.marketplace_minimum_window_days:
            problems.append(
                f"return_window_days ({self.return_window_days}) must be at least the "
                f"marketplace's {self.marketplace_minimum_window_days} days"
            )
        for name, category in self.categories.items():
            if category.window_days is not None and (
                category.window_days < self.marketplace_minimum_window_days
            ):
                problems.append(
                    f"categories.{name}.window_days ({category.window_days}) must be at least "
                    f"the marketplace's {self.marketplace_minimum_window_days} days"
                )
        original = self.conditions.get("original")
        if original is None:
            problems.append("conditions must describe 'original'")
        elif original.restocking_fee_percent or not original.returnable:
            problems.append(
                "conditions.original must be returnable with no restocking fee "
                "(the marketplace forbids fees on in-policy returns in original condition)"
            )
        for name, condition in self.conditions.items():
            if condition.restocking_fee_percent > self.restocking_fee.max_percent:
                problems.append(
                    f"conditions.{name}.restocking_fee_percent "
                    f"({condition.restocking_fee_percent:g}) is above "
                    f"restocking_fee.max_percent ({self.restocking_fee.max_percent:g})"
                )
        unknown = [r for r in self.returnless_refund.reasons if r not in RETURN_REASONS]
        if unknown:
            problems.append(f"returnless_refund.reasons: unknown reason(s) {', '.join(unknown)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def category(self, name: str | None) -> CategoryRule | None:
        """The exceptions for a category, or None when the defaults apply."""
        return None if name is None else self.categories.get(name)


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return "; ".join(lines)


def parse_policy(data: Any, *, origin: str = "policy") -> PolicyRules:
    """Validate already-parsed YAML/JSON data; raises :class:`InvalidPolicy`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPolicy(f"{origin}: the policy must be a mapping of settings")
    try:
        return PolicyRules.model_validate(data)
    except ValidationError as exc:
        raise InvalidPolicy(f"{origin}: {_describe(exc)}") from exc


def load_policy(path: Path) -> PolicyRules:
    """Read and validate the seller's policy YAML; every problem is named in the error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PolicyFileNotFound(f"policy file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidPolicy(f"cannot read policy file {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InvalidPolicy(f"{path.name}: not valid YAML{where}") from exc
    return parse_policy(data, origin=path.name)
