"""Request and response shapes of the orders API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StringConstraints, ValidationError, WithJsonSchema

from server.api import PageQuery
from server.money import Money
from server.urls import PublicUrl

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
StatusName = Literal["pending_payment", "paid", "shipped", "delivered", "cancelled"]


class Address(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: Line
    line1: Line
    line2: OptionalLine = ""
    city: Line
    state: Line
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z -]{3,12}$")]
    country: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)] = "IN"
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = ""


ADDRESS_HINTS = {"postal_code": "3 to 12 letters, digits, spaces or dashes",
                 "name": "1 to 200 characters", "line1": "1 to 200 characters", "city": "1 to 200 characters",
                 "state": "1 to 200 characters"}
AddressText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=1000)]


def _one_address(value: Any) -> Address | str:
    """A line of text or an address object; a refusal names what is wrong in the client's terms, not pydantic's
    union members (which gave field names like shipping_address.constrained-str)."""
    if isinstance(value, str):
        text = value.strip()
        if not 5 <= len(text) <= 1000:
            raise ValueError("Write the address in 5 to 1000 characters, or send it as an object "
                             "with name, line1, city, state and postal_code.")
        return text
    if isinstance(value, dict):
        try:
            return Address.model_validate(value)
        except ValidationError as exc:
            problems = []
            for err in exc.errors(include_url=False):
                where = ".".join(str(part) for part in err["loc"])
                if err["type"] == "missing":
                    problems.append(f"{where} is required")
                elif where in ADDRESS_HINTS:
                    problems.append(f"{where}: {ADDRESS_HINTS[where]}")
                else:
                    problems.append(f"{where}: {str(err['msg']).removeprefix('Value error, ')}")
            raise ValueError("; ".join(problems) + ".") from None
    raise ValueError("The address is a line of text or an object with name, line1, city, state and postal_code.")


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    shipping_address: Annotated[Address | AddressText, PlainValidator(_one_address),
                                WithJsonSchema({"anyOf": [{"$ref": "#/components/schemas/Address"},
                                                          {"type": "string", "minLength": 5, "maxLength": 1000}]})]
    seller_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = Field(
        None, description="Check out only this seller's items (required when the cart holds several sellers')."
    )


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: StatusName
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class OrderQuery(PageQuery):
    status: StatusName | None = None


class Party(BaseModel):
    id: int
    username: str


class SellerParty(Party):
    business_name: str


class OrderItemOut(BaseModel):
    product: int
    name: str
    unit_price: Money
    quantity: int
    line_total: Money
    source: str


class TrackingOut(BaseModel):
    status: str
    note: str
    at: datetime


class PaymentOut(BaseModel):
    status: str
    razorpay_order_id: str
    razorpay_payment_id: str | None
    amount: int = Field(description="Paise.")
    currency: str


class InvoiceRef(BaseModel):
    number: str
    url: PublicUrl = Field(description="The PDF.")


class OrderOut(BaseModel):
    id: int
    status: StatusName
    buyer: Party
    seller: SellerParty
    items: list[OrderItemOut]
    total_amount: Money
    shipping_address: Any
    payment: PaymentOut | None
    tracking: list[TrackingOut]
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    expires_at: datetime | None = Field(description="When an unpaid order will be cancelled and its stock released.")
    invoice: InvoiceRef | None = Field(None, description="Once paid: the invoice's number and its PDF.")
