"""Background work of accounts: purging expired refresh tokens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from server.accounts.store import purge_refresh
from server.keys import CONFIG, DB

log = logging.getLogger(__name__)


async def purge_loop(pool: asyncpg.Pool, interval_s: float) -> None:
    """Purge expired refresh tokens now and then every interval; a failed round is logged and retried."""
    while True:
        try:
            removed = await purge_refresh(pool)
            if removed:
                log.info("purged %d expired refresh token(s)", removed)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("refresh token purge failed, will retry: %r", exc)
        await asyncio.sleep(interval_s)


async def token_purge_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: run the purge loop for the app's lifetime; cancel and await it on shutdown."""
    task = asyncio.create_task(purge_loop(app[DB], app[CONFIG].auth.token_purge_interval_s), name="token-purge")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
