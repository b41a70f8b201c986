"""The room event of reactions."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from rooms.events import RoomEvent


class Reactions(RoomEvent):
    """The reactions sent since the last such event, by emoji: at most one event per `rooms.reaction_flush_ms`
    in a room, across all processes."""

    type: ClassVar[str] = "reactions"
    counts: dict[str, int] = Field(description="Emoji -> how many since the last `reactions` event.")
