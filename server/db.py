"""The PostgreSQL connection pool and its lifecycle."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from server.config import DatabaseConfig
from server.keys import CONFIG, DB, METRICS


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come and go as Python objects, not strings.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's default reset query (UNLISTEN, RESET ALL, advisory unlock...):
    this code never changes session state on pooled connections, and that query was one more round trip
    per request (a transaction left open is still rolled back by asyncpg before this runs)."""


async def create_pool(config: DatabaseConfig) -> asyncpg.Pool:
    """A pool sized and timed by config; every connection decodes jsonb."""
    pool = await asyncpg.create_pool(
        config.url,
        min_size=config.pool_min,
        max_size=config.pool_max,
        command_timeout=config.command_timeout_s,
        init=_init_connection,
        reset=_keep_session,
    )
    assert pool is not None  # create_pool returns None only when awaited lazily
    return pool


async def postgres_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: open the pool on start-up, close it on shutdown."""
    config = app[CONFIG].database
    if not config.url:
        raise RuntimeError("database.url is empty: start the app through `python -m server` or set LSC_DATABASE_URL")
    pool = await create_pool(config)
    app[DB] = pool
    app[METRICS].gauge("lsc_db_pool_size", "Connections open in this process's pool.", pool.get_size)
    app[METRICS].gauge("lsc_db_pool_idle", "Idle connections in this process's pool.", pool.get_idle_size)
    yield
    await pool.close()
