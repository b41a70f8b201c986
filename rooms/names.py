"""Room names: the one place that builds and parses them (`stream:<id>`, `user:<id>`, `leaderboard:<name>`)."""

from __future__ import annotations

from typing import Literal

RoomKind = Literal["stream", "user", "leaderboard"]
KINDS: tuple[RoomKind, ...] = ("stream", "user", "leaderboard")


class RoomName(str):
    """A room's name as Redis and the hub key it: `<kind>:<ident>`. A str, so it is a dict key and a Redis
    key part as it is; built only by the constructors below, so every name in use parses."""

    __slots__ = ()

    @classmethod
    def of(cls, kind: RoomKind, ident: int | str) -> RoomName:
        text = str(ident)
        if kind not in KINDS or not text or ":" in text:
            raise ValueError(f"not a room: {kind}:{text}")
        return cls(f"{kind}:{text}")

    @classmethod
    def stream(cls, stream_id: int) -> RoomName:
        """The room of one live show: its viewers, chat, auctions."""
        return cls.of("stream", stream_id)

    @classmethod
    def user(cls, user_id: int) -> RoomName:
        """One user's private room: notifications and events for that user only."""
        return cls.of("user", user_id)

    @classmethod
    def parse(cls, text: str) -> RoomName:
        """A name read back (from a Redis channel, say); ValueError if it is not one of ours."""
        kind, sep, ident = text.partition(":")
        if not sep or kind not in KINDS:
            raise ValueError(f"not a room: {text!r}")
        return cls.of(kind, ident)

    @property
    def kind(self) -> str:
        return self.partition(":")[0]

    @property
    def ident(self) -> str:
        return self.partition(":")[2]

    def number(self) -> int:
        """The numeric id of a stream or user room."""
        return int(self.ident)


def prefix(kind: RoomKind) -> str:
    """What every room of one kind starts with (a broadcast relays to all rooms of a kind)."""
    return f"{kind}:"
