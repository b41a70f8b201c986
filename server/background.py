"""Periodic background work owned by the app: started with it, cancelled and awaited when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import asyncpg
import redis.exceptions
from aiohttp import web

from server.errors import Conflict

log = logging.getLogger(__name__)
# Failures of a backing service: the next round may succeed.
_TRANSIENT = (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, redis.exceptions.RedisError)
Step = Callable[[web.Application], Awaitable[bool | None]]


def periodic(name: str, interval_s: Callable[[web.Application], float], step: Step
             ) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs `step` now and then every interval until the app stops.

    A step that returns True has more to do and runs again at once. A step that fails because a
    backing service is down is logged and retried after the interval; the loop never dies of it.
    """

    async def context(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            me = asyncio.current_task()
            while True:
                more = False
                try:
                    more = bool(await step(app))
                except _TRANSIENT as exc:
                    log.warning("%s failed, will retry: %r", name, exc)
                if me is not None and me.cancelling():
                    # Python 3.11's asyncio.wait_for (asyncpg's command timeout) can swallow a cancel that
                    # lands as a query completes; stop anyway rather than sleep through the shutdown.
                    return
                if not more:
                    await asyncio.sleep(interval_s(app))

        task = asyncio.create_task(loop(), name=name)
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    context.__name__ = f"{name.replace('-', '_')}_ctx"
    return context


async def once_each(ids: Iterable[int], act: Callable[[int], Awaitable[object]]) -> int:
    """A sweeper's round of once-only changes (close an auction, end a sale, draw a giveaway), run by every
    process: each is done by whichever process gets there first; how many this one did (Conflict: another)."""
    done = 0
    for item_id in ids:
        try:
            await act(item_id)
            done += 1
        except Conflict:
            continue
    return done
