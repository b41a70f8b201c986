"""Request and response shapes of the payments API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from commerce.orders.schemas import OrderOut

RazorpayId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100,
                                              pattern=r"^[A-Za-z0-9_]+$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PayOrderIn(_In):
    order_id: Annotated[int, Field(ge=1, le=2**63 - 1)]


class BuyCreditsIn(_In):
    credits: Annotated[int, Field(ge=1)]


class VerifyIn(_In):
    razorpay_order_id: RazorpayId
    razorpay_payment_id: RazorpayId
    razorpay_signature: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CheckoutOut(BaseModel):
    """What the app hands Razorpay Checkout."""

    razorpay_order_id: str
    amount: int = Field(description="Paise.")
    currency: str
    key_id: str
    order_id: int | None = None
    credits: int | None = None


class CreditsOut(BaseModel):
    purchased: int
    balance: int


class VerifyOut(BaseModel):
    status: str
    order: OrderOut | None = None
    credits: CreditsOut | None = None
