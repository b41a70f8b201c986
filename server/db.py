"""The PostgreSQL connection pool and its lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import asyncpg
from aiohttp import web

from server.config import DatabaseConfig
from server.keys import CONFIG, DB, METRICS, READ_DB
from server.metrics import DB_POOL_IDLE, DB_POOL_SIZE, DB_POOL_WAIT


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come and go as Python objects, not strings.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's default reset query (UNLISTEN, RESET ALL, advisory unlock...):
    this code never changes session state on pooled connections, and that query was one more round trip
    per request (a transaction left open is still rolled back by asyncpg before this runs)."""


class MeasuredPool(asyncpg.Pool):  # type: ignore[misc]
    """asyncpg's pool, made fair and bounded, and timed (lsc_db_pool_wait_seconds).

    Fair: asyncpg hands a released connection to whoever asks next, and a request arriving just then takes it
    before the ones already waiting; under load a few waited 250 ms while the median waited 2 (product detail,
    32 connections on a pool of 3). A FIFO semaphore of the pool's size in front of it serves waiters in order.
    Bounded: a wait longer than `database.pool_timeout_s` fails (TimeoutError: 503 `unavailable`) instead of
    queueing without end. `_acquire` is what `acquire()` and the pool's own fetch and execute all await; a test
    fails if the histogram stays empty, should asyncpg rename it."""

    def __init__(self, *args: Any, wait_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turns = asyncio.Semaphore(kwargs["max_size"])
        self._wait_timeout_s = wait_timeout_s
        self._lent: set[Any] = set()

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg's own signature)
        started = time.perf_counter()
        try:
            if self._turns.locked():  # a timer only when there is a wait: one per acquire was 8 % of a request
                async with asyncio.timeout(self._wait_timeout_s):
                    await self._turns.acquire()
            else:
                await self._turns.acquire()  # free: returns at once
        finally:
            DB_POOL_WAIT.observe(time.perf_counter() - started)
        try:
            proxy = await super()._acquire(timeout)
        except BaseException:
            self._turns.release()
            raise
        self._lent.add(proxy)
        return proxy

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        try:
            await super().release(connection, timeout=timeout)
        finally:
            if connection in self._lent:  # released once, however often release is called
                self._lent.discard(connection)
                self._turns.release()


async def create_pool(config: DatabaseConfig, url: str | None = None) -> asyncpg.Pool:
    """A pool of config.url (or `url`: the read replica's) sized and timed by config; every connection decodes
    jsonb."""
    pool = MeasuredPool(
        url or config.url,
        min_size=config.pool_min,
        max_size=config.pool_max,
        max_queries=50_000,  # asyncpg's defaults, which its create_pool would pass
        max_inactive_connection_lifetime=300.0,
        wait_timeout_s=config.pool_timeout_s,
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
    if config.read_url:
        app[READ_DB] = await create_pool(config, config.read_url)
    yield
    if READ_DB in app:
        await app[READ_DB].close()
    await pool.close()


# The replica's pool for the length of a request the API layer lets read from it (server.api, `replica=True`).
_REPLICA: ContextVar[asyncpg.Pool | None] = ContextVar("replica", default=None)


def reading(pool: asyncpg.Pool) -> asyncpg.Pool:
    """The pool for a read that may trail the primary by the replica's lag (lists, a product, the feed): the
    replica when the current request may read from one, else `pool`. Nothing that decides (stock, bids, claims)
    asks for it."""
    return _REPLICA.get() or pool


@contextlib.contextmanager
def from_replica(replica: asyncpg.Pool) -> Iterator[None]:
    """Within: reading() answers `replica`."""
    token = _REPLICA.set(replica)
    try:
        yield
    finally:
        _REPLICA.reset(token)
