"""The room events of polls."""

from __future__ import annotations

from typing import ClassVar

from audience.polls.schemas import PollOut
from rooms.events import RoomEvent


class PollStarted(PollOut, RoomEvent):
    """A poll opened in the show (its whole state, counts at zero)."""

    type: ClassVar[str] = "poll_started"


class PollUpdated(RoomEvent):
    """The votes so far: at most one event a second, across all processes."""

    type: ClassVar[str] = "poll_updated"
    id: int
    counts: list[int]


class PollClosed(RoomEvent):
    """The poll ended (its time ran out, or its seller closed it): the final counts."""

    type: ClassVar[str] = "poll_closed"
    id: int
    counts: list[int]
