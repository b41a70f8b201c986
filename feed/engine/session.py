"""A user's feed session in Redis: the videos already shown (with when) and the categories engaged with,
both forgotten after session_ttl_s of inactivity."""

from __future__ import annotations

import time
from typing import cast

import redis.asyncio as aioredis


class Session:
    def __init__(self, redis: aioredis.Redis, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    @staticmethod
    def _keys(user_id: int) -> tuple[str, str]:
        # A sorted set by time shown (the older "feed:seen:" key was a plain set; it just expires).
        return f"feed:shown:{user_id}", f"feed:session:{user_id}"

    async def read(self, user_id: int) -> tuple[set[int], set[int]]:
        """(videos seen, categories active) in the current session."""
        seen_key, cats_key = self._keys(user_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(seen_key, 0, -1)
            pipe.hkeys(cats_key)
            seen, cats = await pipe.execute()
        return {int(v) for v in seen}, {int(c) for c in cats}

    async def longest_ago(self, user_id: int, count: int) -> list[int]:
        """The `count` videos of this session shown longest ago, oldest first."""
        seen_key, _ = self._keys(user_id)
        members = cast(list[bytes], await self.redis.zrange(seen_key, 0, count - 1))
        return [int(v) for v in members]

    async def seen(self, user_id: int, video_ids: list[int]) -> None:
        """Mark videos as shown now in this session (and keep the session alive)."""
        if not video_ids:
            return
        seen_key, cats_key = self._keys(user_id)
        # Scores rise within one call too, so a page keeps its order when it comes round again.
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(seen_key, {str(v): now + i * 1e-6 for i, v in enumerate(video_ids)})
            pipe.expire(seen_key, self.ttl_s)
            pipe.expire(cats_key, self.ttl_s)
            await pipe.execute()

    async def touch(self, user_id: int, category_id: int | None) -> None:
        """Record an engagement with a category in this session (and keep the session alive)."""
        seen_key, cats_key = self._keys(user_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            if category_id is not None:
                pipe.hincrby(cats_key, str(category_id), 1)
            pipe.expire(cats_key, self.ttl_s)
            pipe.expire(seen_key, self.ttl_s)
            await pipe.execute()
