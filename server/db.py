"""The PostgreSQL connection pool and its lifecycle."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from aiohttp import web

from server.config import DatabaseConfig
from server.keys import CONFIG, DB, METRICS
from server.metrics import DB_POOL_IDLE, DB_POOL_SIZE, DB_POOL_WAIT


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come and go as Python objects, not strings.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's default reset query (UNLISTEN, RESET ALL, advisory unlock...):
    this code never changes session state on pooled connections, and that query was one more round trip
    per request (a transaction left open is still rolled back by asyncpg before this runs)."""


class MeasuredPool(asyncpg.Pool):  # type: ignore[misc]
    """asyncpg's pool, timing how long each acquire waits for a connection (lsc_db_pool_wait_seconds).
    `_acquire` is what `acquire()` and the pool's own fetch/execute all await; a test fails if the histogram
    stays empty, should asyncpg rename it."""

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg's own signature)
        started = time.perf_counter()
        try:
            return await super()._acquire(timeout)
        finally:
            DB_POOL_WAIT.observe(time.perf_counter() - started)


async def create_pool(config: DatabaseConfig) -> asyncpg.Pool:
    """A pool sized and timed by config; every connection decodes jsonb."""
    pool = MeasuredPool(
        config.url,
        min_size=config.pool_min,
        max_size=config.pool_max,
        max_queries=50_000,  # asyncpg's defaults, which its create_pool would pass
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        command_timeout=config.command_timeout_s,
        init=_init_connection,
        reset=_keep_session,
    )
    await pool
    return pool


async def postgres_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: open the pool on start-up, close it on shutdown."""
    config = app[CONFIG].database
    if not config.url:
        raise RuntimeError("database.url is empty: start the app through `python -m server` or set LSC_DATABASE_URL")
    pool = await create_pool(config)
    app[DB] = pool
    app[METRICS].sample(DB_POOL_SIZE, pool.get_size)
    app[METRICS].sample(DB_POOL_IDLE, pool.get_idle_size)
    yield
    await pool.close()
