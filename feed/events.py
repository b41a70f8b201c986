"""The feed's live events on a user's notification socket: friends coming and going, the weekly leaderboard."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from rooms.events import UserEvent


class FriendStatus(UserEvent):
    """A friend opened their first socket anywhere (online) or closed their last one (offline)."""

    type: ClassVar[str] = "friend_status"
    user_id: int
    username: str
    online: bool


class LeaderboardEntry(BaseModel):
    rank: int
    video: dict[str, Any]  # a brief of the reel: id, title, creator, thumbnail and counters
    likes: int


class LeaderboardChanged(UserEvent):
    """The week's most liked reels changed; every notification socket gets it, at most once per interval."""

    type: ClassVar[str] = "leaderboard"
    week: str
    results: list[LeaderboardEntry]
