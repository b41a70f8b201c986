"""Chat on the show's socket: the `chat` frame and the recent messages in hello."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from rooms.chat.keys import CHAT
from rooms.commands import CommandContext, HelloContext, Reply
from server.keys import CONFIG


class ChatFrame(BaseModel):
    """data of a `chat` frame; the text is checked by the chat rules like a REST send."""

    model_config = ConfigDict(extra="ignore")
    text: Any


async def send_chat(ctx: CommandContext, frame: ChatFrame) -> Reply | None:
    await ctx.app[CHAT].send(ctx.user(), ctx.room.number(), frame.text)
    return None


async def recent_chat(ctx: HelloContext) -> list[dict[str, Any]]:
    """The last messages of the show, oldest first."""
    recent = await ctx.app[CHAT].history(ctx.room.number(), None, ctx.app[CONFIG].rooms.hello_chat)
    return list(reversed(recent))
