"""Cached lists (products, reels): exact after every write of ours, cheap between writes.

A list page is an index walk (a fraction of a millisecond at 100,000 rows); its total is a scan of
every match (8-60 ms). Totals are kept in Redis per filter set under their scope's version, which every
write of that scope increments, so a write makes all the scope's cached totals unused at once. Whole pages
are kept in each process (PageCache) under the same version, for a short time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions

log = logging.getLogger(__name__)


async def bump_version(client: aioredis.Redis, scope: str = "catalog") -> None:
    """After a write of the scope commits (a product, a reel): every cached total of it is stale."""
    try:
        await client.incr(f"{scope}:version")
    except redis.exceptions.RedisError as exc:  # the totals expire by themselves within their TTL
        log.warning("could not invalidate cached %s counts: %r", scope, exc)


def count_key(scope: str, filters: object) -> str:
    """Where the total for these filters is kept: "<version>:<total>", the scope's version it was counted under."""
    return f"{scope}:count:{hashlib.sha1(repr(filters).encode()).hexdigest()}"


def read_count(pipe: Any, filters: object, scope: str) -> None:
    """Ask a pipeline for the scope's version and the kept total (their replies: see `counted`)."""
    pipe.get(f"{scope}:version")
    pipe.get(count_key(scope, filters))


def counted(version_reply: bytes | None, count_reply: bytes | None) -> tuple[int, int | None]:
    """(version, the kept total if it was counted under that version) from read_count's two replies."""
    version = int(version_reply or 0)
    if count_reply is not None:
        kept_version, _, count = count_reply.partition(b":")
        if int(kept_version) == version:
            return version, int(count)
    return version, None


async def read_counted(client: aioredis.Redis, filters: object, scope: str) -> tuple[int, int | None] | None:
    """The scope's version and the total kept for these filters under it (None if none is), in one round trip;
    None when Redis cannot say (nothing kept may be used then)."""
    try:
        async with client.pipeline(transaction=False) as pipe:
            read_count(pipe, filters, scope)
            return counted(*await pipe.execute())
    except redis.exceptions.RedisError:
        return None


async def cached_count(client: aioredis.Redis, filters: object, compute: Callable[[], Awaitable[int]],
                       ttl_s: int, scope: str = "catalog", known: tuple[int, int | None] | None = None) -> int:
    """The total for these filters from Redis, or computed and kept for ttl_s (0: never kept). `known`: what
    the caller read already (read_counted, or read_count and counted in a pipeline of its own)."""
    if ttl_s <= 0:
        return await compute()
    if known is None:
        known = await read_counted(client, filters, scope)
        if known is None:
            return await compute()
    version, kept = known
    if kept is not None:
        return kept
    count = await compute()
    try:
        # Under the version read before counting: a write that bumps it meanwhile leaves this total unused.
        await client.set(count_key(scope, filters), f"{version}:{count}", ex=ttl_s)
    except redis.exceptions.RedisError:
        pass
    return count


class PageCache:
    """Whole list pages kept in this process for at most ttl_s, each under its scope's version (part of the key):
    a write of ours (which bumps the version) shows at once on every process, and what changes without a bump
    (a product's stock, as orders take it) shows within ttl_s. At most `size` pages, the least recently used
    dropped first. ttl_s 0 keeps nothing."""

    def __init__(self, ttl_s: float, size: int = 2048) -> None:
        self.ttl_s = ttl_s
        self._size = size
        self._pages: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        found = self._pages.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return found[1]

    def put(self, key: Hashable, page: Any) -> None:
        if self.ttl_s <= 0:
            return
        self._pages[key] = (time.monotonic() + self.ttl_s, page)
        self._pages.move_to_end(key)
        while len(self._pages) > self._size:
            self._pages.popitem(last=False)
