"""The Redis client (one connection pool per process) and its lifecycle."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from server.keys import CONFIG, REDIS, REVOCATIONS, SESSIONS
from server.metrics import REDIS_POOL_WAIT
from server.revocation import Revocations
from server.sessions import Sessions


class MeasuredPool(aioredis.BlockingConnectionPool):
    """redis-py's blocking pool, timing how long each command waits for a connection."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            REDIS_POOL_WAIT.observe(time.perf_counter() - started)


def create_redis(url: str, max_connections: int = 100, pool_timeout_s: float = 5.0) -> aioredis.Redis:
    """A client for the URL; connections open lazily and are shared by every request. At most
    `max_connections` are open; a command beyond them waits up to `pool_timeout_s` for one to be free (redis-py's
    default pool refuses it at once with MaxConnectionsError: a burst of 250 reactions in one process failed)."""
    pool = MeasuredPool.from_url(
        url, max_connections=max_connections, timeout=pool_timeout_s, socket_connect_timeout=5, socket_timeout=10,
        health_check_interval=30)
    return aioredis.Redis(connection_pool=pool)


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: create the client on start-up, close its pool on shutdown."""
    config = app[CONFIG].redis
    if not config.url:
        raise RuntimeError("redis.url is empty: start the app through `python -m server` or set LSC_REDIS_URL")
    client = create_redis(config.url, config.max_connections, config.pool_timeout_s)
    app[REDIS] = client
    app[SESSIONS] = Sessions(client, app[CONFIG])  # browser sign-ins live in Redis: one per app
    app[REVOCATIONS] = Revocations(client, app[CONFIG].auth.access_ttl_s)
    yield
    await client.aclose()
