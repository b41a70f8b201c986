"""The Redis client (one connection pool per process) and its lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from aiohttp import web

from server.keys import CONFIG, REDIS, SESSIONS
from server.sessions import Sessions


def create_redis(url: str) -> aioredis.Redis:
    """A client for the URL; connections open lazily and are shared by every request."""
    return aioredis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: create the client on start-up, close its pool on shutdown."""
    url = app[CONFIG].redis.url
    if not url:
        raise RuntimeError("redis.url is empty: start the app through `python -m server` or set LSC_REDIS_URL")
    client = create_redis(url)
    app[REDIS] = client
    app[SESSIONS] = Sessions(client, app[CONFIG])  # browser sign-ins live in Redis: one per app
    yield
    await client.aclose()
