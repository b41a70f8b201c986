"""The auction's room events and notification data, declared (money as Money, never a float in our code)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel

from bidding.schemas import BiddingOut, Party
from rooms.events import RoomEvent
from server.money import Money


class BiddingStarted(BiddingOut, RoomEvent):
    """An auction opened in the show (its full public state)."""

    type: ClassVar[str] = "bidding_started"


class BiddingExtended(BiddingOut, RoomEvent):
    """A late bid moved a soft-close auction's end (its full public state)."""

    type: ClassVar[str] = "bidding_extended"


class BidPlaced(RoomEvent):
    """One committed bid; `version` is the auction's version it produced (its place in commit order)."""

    type: ClassVar[str] = "bid"
    bidding_id: int
    amount: Money
    proxy: bool
    bidder: Party
    version: int
    ends_at: datetime


class BiddingClosed(RoomEvent):
    """The auction closed: the winner and the price, or none (no bid, or the reserve not met)."""

    type: ClassVar[str] = "bidding_closed"
    bidding_id: int
    winner: Party | None
    amount: Money | None
    version: int


class OutbidData(BaseModel):
    """The data of an `outbid` notification."""

    bidding_id: int
    livestream_id: int
    amount: Money


class WonData(BaseModel):
    """The data of an `auction_won` notification."""

    bidding_id: int
    product_id: int
    amount: Money
