"""Request and response shapes of seller earnings and withdrawals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from server.api import PageQuery
from server.money import Money, SignedMoney


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    amount: Money


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class WithdrawalQuery(PageQuery):
    status: Literal["requested", "approved", "rejected"] | None = None


class EntryOut(BaseModel):
    id: int
    order_id: int
    kind: Literal["sale", "refund"]
    gross: SignedMoney
    commission: SignedMoney
    net: SignedMoney
    available_at: datetime
    created_at: datetime


class EarningsOut(BaseModel):
    total: SignedMoney
    available: SignedMoney
    withdrawn: SignedMoney
    pending: SignedMoney
    requested: SignedMoney
    entries: list[EntryOut]


class WithdrawalOut(BaseModel):
    id: int
    seller: int
    amount: Money
    status: Literal["requested", "approved", "rejected"]
    note: str
    decided_at: datetime | None
    created_at: datetime
