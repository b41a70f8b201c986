"""Cached list totals (products, reels): exact after every write of ours, cheap between writes.

A list page is an index walk (a fraction of a millisecond at 100,000 rows); its total is a scan of
every match (8-25 ms). Totals are kept in Redis per filter set under their scope's version, which every
write of that scope increments, so a write makes all the scope's cached totals unused at once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
import redis.exceptions

log = logging.getLogger(__name__)


async def bump_version(client: aioredis.Redis, scope: str = "catalog") -> None:
    """After a write of the scope commits (a product, a reel): every cached total of it is stale."""
    try:
        await client.incr(f"{scope}:version")
    except redis.exceptions.RedisError as exc:  # the totals expire by themselves within their TTL
        log.warning("could not invalidate cached %s counts: %r", scope, exc)


async def cached_count(client: aioredis.Redis, filters: object, compute: Callable[[], Awaitable[int]],
                       ttl_s: int, scope: str = "catalog") -> int:
    """The total for these filters from Redis, or computed and kept for ttl_s (0: never kept)."""
    if ttl_s <= 0:
        return await compute()
    try:
        version = int(await client.get(f"{scope}:version") or 0)
        key = f"{scope}:count:{version}:{hashlib.sha1(repr(filters).encode()).hexdigest()}"
        cached = await client.get(key)
        if cached is not None:
            return int(cached)
    except redis.exceptions.RedisError:
        return await compute()
    count = await compute()
    try:
        await client.set(key, count, ex=ttl_s)
    except redis.exceptions.RedisError:
        pass
    return count
