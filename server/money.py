"""Money: exact decimal rupees with two places in the API, integer paise for Razorpay; never a float inside."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # NUMERIC(12, 2)


def parse_money(value: Any) -> Decimal:
    """An amount from a JSON number or a decimal string: finite, not negative, at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError("Enter an amount as a number or a decimal string, like 499 or '499.50'.")
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("Enter an amount as a number or a decimal string, like 499 or '499.50'.") from None
    if not amount.is_finite():
        raise ValueError("The amount must be a finite number.")
    # The bound first: quantizing an amount beyond Decimal's 28 digits (1e30) raises InvalidOperation.
    if amount < 0 or amount > MAX_AMOUNT:
        raise ValueError(f"The amount must be between 0 and {MAX_AMOUNT}.")
    if amount != amount.quantize(CENT):
        raise ValueError("Use at most two decimals (paise).")
    return amount.quantize(CENT)


def wire_number(value: Decimal) -> float:
    """Money as the wire carries it: the contract's format is a JSON (or MessagePack) number. This is the one
    place an amount becomes a float, at encoding: amounts have at most 12 significant digits (MAX_AMOUNT),
    which a double's shortest repr reproduces exactly ("19.99" -> 19.99 -> "19.99")."""
    return float(value)


Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    PlainSerializer(wire_number, return_type=float, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}], "examples": [499.0]}, mode="validation"),
    WithJsonSchema({"type": "number", "multipleOf": 0.01, "examples": [499.0]}, mode="serialization"),
]


def to_paise(amount: Decimal) -> int:
    """Rupees to integer paise, as Razorpay counts."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def percent_of(amount: Decimal, basis_points: int) -> Decimal:
    """basis_points/10000 of the amount, rounded half up to the paisa."""
    return (amount * basis_points / 10000).quantize(CENT, rounding=ROUND_HALF_UP)


# Amounts the server reports that may be negative (a refund entry, a balance owed): same wire format.
SignedMoney = Annotated[
    Decimal,
    PlainSerializer(wire_number, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "multipleOf": 0.01, "examples": [-499.0]}),
]
