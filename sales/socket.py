"""Flash sales and giveaways on the show's socket: the `claim` and `enter_giveaway` frames, and what is open
in hello."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from rooms.commands import CommandContext, HelloContext, Reply
from sales.keys import FLASH_SALES, GIVEAWAYS
from sales.schemas import ClaimIn


class ClaimFrame(ClaimIn):
    """data of a `claim` frame: the sale and how many units."""

    flash_sale_id: Annotated[int, Field(ge=1, le=2**63 - 1)]


async def claim(ctx: CommandContext, frame: ClaimFrame) -> Reply:
    """Acked with the claim once it commits; the room hears the units left with the next update round."""
    out = await ctx.app[FLASH_SALES].claim(ctx.user(), frame.flash_sale_id, frame.quantity)
    return Reply(out.model_dump(mode="json"))


async def open_sales(ctx: HelloContext) -> list[dict[str, Any]]:
    """The show's open flash sales."""
    return await ctx.app[FLASH_SALES].open_in(ctx.room.number())


class EnterFrame(BaseModel):
    """data of an `enter_giveaway` frame."""

    giveaway_id: Annotated[int, Field(ge=1, le=2**63 - 1)]


async def enter_giveaway(ctx: CommandContext, frame: EnterFrame) -> Reply:
    out = await ctx.app[GIVEAWAYS].enter(ctx.user(), frame.giveaway_id)
    return Reply(out.model_dump(mode="json"))


async def open_giveaway(ctx: HelloContext) -> dict[str, Any] | None:
    """The show's open giveaway."""
    return await ctx.app[GIVEAWAYS].open_in(ctx.room.number())
