"""Flash-sale room events, declared. Each carries the sale's `version`, which rises with the room's seq."""

from __future__ import annotations

from typing import ClassVar, Literal

from rooms.events import RoomEvent
from sales.schemas import FlashSaleOut, GiveawayOut, Party


class FlashSaleStarted(FlashSaleOut, RoomEvent):
    """A flash sale opened in the show (its whole state)."""

    type: ClassVar[str] = "flash_sale_started"


class FlashSaleUpdated(RoomEvent):
    """Units left, after the claims (and releases) of the last interval: at most one event per
    `sales.update_interval_s` per sale, across all processes."""

    type: ClassVar[str] = "flash_sale_updated"
    id: int
    remaining: int
    version: int


class FlashSaleEnded(RoomEvent):
    """The sale is over: its time ran out, or its seller ended it."""

    type: ClassVar[str] = "flash_sale_ended"
    id: int
    remaining: int
    reason: Literal["time", "seller"]
    version: int


class GiveawayStarted(GiveawayOut, RoomEvent):
    """A giveaway opened in the show: viewers in the room may enter until it ends."""

    type: ClassVar[str] = "giveaway_started"


class GiveawayUpdated(RoomEvent):
    """How many have entered: at most once a second, across all processes."""

    type: ClassVar[str] = "giveaway_updated"
    id: int
    entries: int
    version: int


class GiveawayEnded(RoomEvent):
    """Drawn: the winner (None if nobody eligible entered) among `entries`."""

    type: ClassVar[str] = "giveaway_ended"
    id: int
    winner: Party | None
    entries: int
    version: int
