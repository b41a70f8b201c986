"""Bidding on the show's socket: the `bid` frame and the running auction in hello."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from bidding.keys import AUCTIONS
from bidding.schemas import BidIn
from rooms.commands import CommandContext, HelloContext, Reply


class BidFrame(BidIn):
    """data of a `bid` frame: the auction and the amount, the maximum, or both."""

    bidding_id: Annotated[int, Field(ge=1, le=2**63 - 1)]


async def place_bid(ctx: CommandContext, frame: BidFrame) -> Reply:
    """Acked as soon as the bid commits; the room hears of it right after the ack."""
    auctions = ctx.app[AUCTIONS]
    placed = await auctions.place(ctx.user(), frame.bidding_id, frame.amount, frame.max_amount)

    async def announce() -> None:
        await auctions.announce(placed)

    return Reply({"version": placed.version, "leading": placed.leading}, then=announce)


async def running_auction(ctx: HelloContext) -> dict[str, Any] | None:
    """The show's open auction, with the viewer's own maximum."""
    return await ctx.app[AUCTIONS].open_in(ctx.room.number(), ctx.user)
