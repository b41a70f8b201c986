"""Reactions and polls on the show's socket: the `reaction` and `vote` frames, and the open poll in hello."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from audience.keys import POLLS, REACTIONS
from audience.polls.schemas import VoteIn
from rooms.commands import CommandContext, HelloContext, Reply


class ReactionFrame(BaseModel):
    """data of a `reaction` frame: one of the configured emoji (`rooms.reactions`)."""

    model_config = ConfigDict(extra="ignore")
    emoji: Annotated[str, Field(min_length=1, max_length=16)]


async def react(ctx: CommandContext, frame: ReactionFrame) -> Reply | None:
    """Acked once counted; the room hears the sum with the next `reactions` event."""
    await ctx.app[REACTIONS].react(ctx.user(), ctx.room, frame.emoji)
    return None


class VoteFrame(VoteIn):
    """data of a `vote` frame: the poll and the option's index."""

    poll_id: Annotated[int, Field(ge=1, le=2**63 - 1)]


async def vote(ctx: CommandContext, frame: VoteFrame) -> Reply:
    out = await ctx.app[POLLS].vote(ctx.user(), frame.poll_id, frame.option)
    return Reply(out.model_dump(mode="json"))


async def open_poll(ctx: HelloContext) -> dict[str, Any] | None:
    """The show's open poll, with the viewer's own vote."""
    return await ctx.app[POLLS].open_in(ctx.room.number(), ctx.user)
