"""Room names are built and parsed in one place."""

from __future__ import annotations

import pytest

from rooms.names import RoomName, prefix


def test_stream_and_user_rooms_round_trip() -> None:
    room = RoomName.stream(42)
    assert room == "stream:42" and room.kind == "stream" and room.number() == 42
    assert RoomName.parse("user:7") == RoomName.user(7)
    assert RoomName.parse(str(RoomName.of("leaderboard", "reels"))).ident == "reels"
    assert RoomName.stream(1).startswith(prefix("stream"))


@pytest.mark.parametrize("text", ["stream", "stream:", "show:1", ":1", "stream:1:2", ""])
def test_names_that_are_not_ours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a room"):
        RoomName.parse(text)
