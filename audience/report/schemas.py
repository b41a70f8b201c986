"""The shape of a post-show report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from server.money import Money


class AuctionLine(BaseModel):
    id: int
    product: str
    status: str
    winner: str | None
    amount: Money | None
    bids: int


class FlashSaleLine(BaseModel):
    id: int
    product: str
    price: Money
    quantity: int
    claimed: int = Field(description="Units claimed into carts (released ones excluded).")
    sold: int = Field(description="Units in paid orders.")


class SummaryOut(BaseModel):
    livestream: int
    title: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: int
    peak_viewers: int
    unique_viewers: int = Field(description="Distinct signed-in users who joined the show's room.")
    chat_messages: int
    reactions: int
    auctions: list[AuctionLine]
    flash_sales: list[FlashSaleLine]
    items_sold: int = Field(description="Units of the show's auctions and flash sales in paid orders.")
    gross: Money
    platform_fee: Money
    net: Money
    unique_buyers: int
    viewers_timeline: list[tuple[datetime, int]] = Field(description="[time, viewers] samples while live.")
    sales_timeline: list[tuple[datetime, Money]] = Field(description="[minute, amount paid] of what it sold.")
