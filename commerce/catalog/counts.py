"""Cached totals for product lists: exact after every write of ours, cheap between writes.

A list page is an index walk (a fraction of a millisecond at 100,000 products); its total is a
scan of every match (10-25 ms). Totals are kept in Redis per filter set under the catalog's
version, which every product write increments, so a write makes all cached totals unused at once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
import redis.exceptions

log = logging.getLogger(__name__)
VERSION_KEY = "catalog:version"


async def bump_version(client: aioredis.Redis) -> None:
    """After a product write commits: every cached total is stale."""
    try:
        await client.incr(VERSION_KEY)
    except redis.exceptions.RedisError as exc:  # the totals expire by themselves within their TTL
        log.warning("could not invalidate cached product counts: %r", exc)


async def cached_count(client: aioredis.Redis, filters: object, compute: Callable[[], Awaitable[int]],
                       ttl_s: int) -> int:
    """The total for these filters from Redis, or computed and kept for ttl_s (0: never kept)."""
    if ttl_s <= 0:
        return await compute()
    try:
        version = int(await client.get(VERSION_KEY) or 0)
        key = f"catalog:count:{version}:{hashlib.sha1(repr(filters).encode()).hexdigest()}"
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
