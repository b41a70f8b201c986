"""Request and response shapes of the auctions API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.money import Money


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OpenIn(_In):
    product_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
    starting_price: Money
    duration_s: Annotated[int, Field(ge=1, le=86400)]
    min_increment: Money | None = None
    reserve_price: Money | None = None
    mode: Literal["soft_close", "sudden_death"] = "soft_close"


class BidIn(_In):
    amount: Money | None = None
    max_amount: Money | None = None

    @model_validator(mode="after")
    def one_of(self) -> BidIn:
        if self.amount is None and self.max_amount is None:
            raise ValueError("Send amount, max_amount or both.")
        if self.amount is not None and self.max_amount is not None and self.max_amount < self.amount:
            raise ValueError("max_amount must not be below amount.")
        return self


class Party(BaseModel):
    id: int
    username: str


class WinOut(BaseModel):
    """Who holds a won item and until when they must pay for it."""

    buyer: Party
    amount: Money
    kind: Literal["win", "second_chance"]
    status: Literal["pending", "paid", "lapsed"] = Field(
        description="pending: in the buyer's cart (or an unpaid order) until pay_by; lapsed: not paid in time.")
    pay_by: datetime


class OfferOut(BaseModel):
    """A second-chance offer of a lapsed win's item to a runner-up."""

    buyer: Party
    amount: Money
    status: Literal["open", "accepted", "declined", "expired"]
    expires_at: datetime


class BiddingOut(BaseModel):
    id: int
    livestream: int
    product: int
    product_name: str
    status: Literal["scheduled", "open", "closed"]
    mode: Literal["soft_close", "sudden_death"]
    starting_price: Money
    min_increment: Money | None
    next_min_amount: Money | None
    current_amount: Money | None
    leader: Party | None
    ends_at: datetime | None = Field(description="None while scheduled (on a show's run sheet).")
    duration_s: int | None = Field(None, description="How long it runs once started (a scheduled auction).")
    position: int = Field(0, description="Its place in the show's run sheet.")
    bids_count: int
    version: int
    winner: Party | None
    reserve_met: bool | None
    my_max: Money | None = Field(None, description="Your own maximum, shown only to you.")
    win: WinOut | None = Field(None, description="Once closed with a winner: who holds the item (the winner, or a "
                                                 "runner-up who took a second chance) and whether it is paid.")
    second_chance: OfferOut | None = Field(None, description="The latest second-chance offer, if any.")


class BidOut(BaseModel):
    amount: Money
    proxy: bool
    leading: bool
    version: int = Field(description="The auction's version this bid produced (its place in commit order).")


class PlacedOut(BaseModel):
    bid: BidOut
    bidding: BiddingOut


class BiddingPatch(_In):
    position: Annotated[int, Field(ge=0, le=100000)]
