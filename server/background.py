"""Periodic background work owned by the app: started with it, cancelled and awaited when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import asyncpg
import redis.exceptions
from aiohttp import web

from server.errors import Conflict
from server.metrics import BACKGROUND_FAILURES, BACKGROUND_SUCCESS

log = logging.getLogger(__name__)
# Failures of a backing service: the next round may succeed.
_TRANSIENT = (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, redis.exceptions.RedisError)
Step = Callable[[web.Application], Awaitable[bool | None]]


def periodic(name: str, interval_s: Callable[[web.Application], float], step: Step
             ) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context that runs `step` now and then every interval until the app stops.

    A step that returns True has more to do and runs again at once. A step that fails because a
    backing service is down is logged and retried after the interval; so is one that fails for any other
    reason (a bug: logged with its traceback). The loop never dies of a failure; each is counted in
    lsc_background_failures_total, and each good round sets lsc_background_last_success_timestamp_seconds.
    """
    transient = BACKGROUND_FAILURES.labels(name, "transient")
    errors = BACKGROUND_FAILURES.labels(name, "error")
    succeeded = BACKGROUND_SUCCESS.labels(name)

    async def context(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            me = asyncio.current_task()
            while True:
                more = False
                try:
                    more = bool(await step(app))
                    succeeded.set(time.time())
                except _TRANSIENT as exc:
                    log.warning("%s failed, will retry: %r", name, exc)
                    transient.inc()
                except Exception:
                    log.exception("%s failed with an error, will retry", name)
                    errors.inc()
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


def report_failure(task: asyncio.Task[Any]) -> None:
    """A done callback for a fire-and-forget task: its failure is logged with the traceback and counted
    (lsc_background_failures_total) rather than left for the garbage collector to mention."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    kind = "transient" if isinstance(exc, _TRANSIENT) else "error"
    BACKGROUND_FAILURES.labels(task.get_name(), kind).inc()
    log.error("background task %s failed", task.get_name(), exc_info=exc)
