"""Fixed-window counters in Redis, shared by every process: how many hits a key had lately."""

from __future__ import annotations

import redis.asyncio as aioredis

from server.errors import RateLimited

_PREFIX = "rl:"


class FixedWindow:
    """At most `limit` hits per `window_s` seconds for each key."""

    def __init__(self, redis: aioredis.Redis, name: str, limit: int, window_s: int) -> None:
        self._redis = redis
        self._name = name
        self.limit = limit
        self.window_s = window_s

    def _key(self, key: str) -> str:
        return f"{_PREFIX}{self._name}:{key}"

    async def _count(self, key: str) -> tuple[int, int]:
        """Count one hit (the window starts at the first) in one atomic step: (hits so far, seconds left)."""
        full = self._key(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(full)
            pipe.expire(full, self.window_s, nx=True)
            pipe.ttl(full)
            count, _, ttl = await pipe.execute()
        return int(count), int(ttl)

    async def hit(self, key: str) -> int:
        """Count one hit; the window starts at the first hit. Returns the count so far."""
        return (await self._count(key))[0]

    async def reserve(self, key: str, message: str) -> None:
        """Take one attempt of the key's window before doing the work it limits, in one atomic step (so
        concurrent callers cannot all pass a check made before any of them counted); RateLimited, with the
        seconds until the window ends, once the window is used up."""
        count, ttl = await self._count(key)
        if count > self.limit:
            raise RateLimited(message, retry_after_s=max(1, ttl))

    async def release(self, key: str) -> None:
        """Give back one reserved attempt (the work succeeded and should not count)."""
        await self._redis.decr(self._key(key))

    async def reset(self, key: str) -> None:
        """Forget the key's hits (after a success that proves the caller legitimate)."""
        await self._redis.delete(self._key(key))
