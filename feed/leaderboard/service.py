"""The weekly leaderboard of reels by likes: PostgreSQL counts likes per ISO week (the truth), Redis keeps
a sorted set per week for reads, rebuilt from PostgreSQL when missing; changes are pushed at most once
per interval on /ws/notifications/ as `leaderboard` events.

Consistency: a like updates its week's row (row lock held) and then the sorted set, before committing,
under a shared advisory lock of the week; a rebuild takes the same lock exclusively. So a rebuild never
interleaves with a like, and two likes of one video reach Redis in the order PostgreSQL applied them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import asyncpg
import redis.asyncio as aioredis

from feed.leaderboard import store
from rooms.names import RoomName
from server.errors import InvalidInput

BROADCAST_ROOM = RoomName.of("leaderboard", "reels")
# Every key of the reels' leaderboard shares one hash tag: the like script touches a week's set and the dirty flag
# together, which a Redis Cluster allows only within one slot.
DIRTY_KEY = "lb:{reels}:dirty"
PUSH_LOCK_KEY = "lb:{reels}:push-lock"
KEEP_S = 40 * 86400  # a week's set outlives the week by a month; older weeks are rebuilt on demand
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

# KEYS: set, built marker, dirty flag. ARGV: video id, likes, week. Marks the week changed; only a built
# set is changed (a missing one is rebuilt on the next read).
_SET_IF_BUILT = """
redis.call('SET', KEYS[3], ARGV[3])
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if tonumber(ARGV[2]) > 0 then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
else redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1
"""
# KEYS: set, built marker. ARGV: ttl, then video id and likes pairs.
_REBUILD = """
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i]) end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""


def iso_week(at: datetime | date) -> str:
    """The ISO week of a moment (in UTC) as "2026-W48"."""
    day = at.astimezone(UTC).date() if isinstance(at, datetime) else at
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str | None, now: datetime) -> str:
    """A ?week= value checked ("2026-W48", a week that exists), or this week."""
    if text is None or text == "":
        return iso_week(now)
    match = _WEEK.match(text)
    if match is None:
        raise InvalidInput('week must look like "2026-W48".', fields={"week": ['Use the ISO form "2026-W48".']})
    try:
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput(f"{text} is not a week of the calendar.", fields={"week": ["No such week."]}) from None
    return text


def _keys(week: str) -> list[str]:
    return [f"lb:{{reels}}:{week}", f"lb:{{reels}}:{week}:built"]


class Leaderboard:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._set_if_built = redis.register_script(_SET_IF_BUILT)
        self._rebuild = redis.register_script(_REBUILD)

    async def count_like(self, conn: asyncpg.Connection, video_id: int, liked_at: datetime, delta: int) -> None:
        """In the like's transaction: move the video's likes in the week of liked_at by delta, in
        PostgreSQL and then in Redis, and mark the leaderboard changed."""
        week = iso_week(liked_at)
        likes = await store.add_likes(conn, week, video_id, delta)
        await self._set_if_built(keys=[*_keys(week), DIRTY_KEY], args=[video_id, likes, week])

    async def top(self, pool: asyncpg.Pool, week: str, n: int) -> list[tuple[int, int]]:
        """The week's first n videos as (video id, likes), most liked first (ties: lower id first)."""
        key, built = _keys(week)
        if not await self.redis.exists(built):
            await self.rebuild(pool, week)
        rows = await self.redis.zrevrange(key, 0, max(0, n * 2 - 1), withscores=True)
        pairs = [(int(row[0]), int(row[1])) for row in rows]
        pairs.sort(key=lambda p: (-p[1], p[0]))
        return pairs[: n * 2]

    async def rebuild(self, pool: asyncpg.Pool, week: str) -> None:
        """Load the week's counts from PostgreSQL into Redis, with likes held off meanwhile."""
        async with pool.acquire() as conn, conn.transaction():
            args: list[int] = [KEEP_S]
            for video_id, likes in await store.week_likes(conn, week):
                args += [video_id, likes]
            await self._rebuild(keys=_keys(week), args=args)

    async def take_change(self, interval_s: float) -> str | None:
        """The week whose leaderboard changed, for the one process allowed to push in this interval."""
        if not await self.redis.set(PUSH_LOCK_KEY, "1", px=max(1, int(interval_s * 1000)), nx=True):
            return None
        week = await self.redis.getdel(DIRTY_KEY)
        if week is None:
            await self.redis.delete(PUSH_LOCK_KEY)  # nothing to push: let the next change go out at once
            return None
        return week.decode() if isinstance(week, bytes) else str(week)
