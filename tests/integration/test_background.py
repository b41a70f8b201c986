"""Periodic background work: retried after a backing service fails, drained when busy, stopped with the app."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import REGISTRY

from server.background import periodic


async def test_a_failing_step_is_retried_and_the_task_stops_with_the_app() -> None:
    calls: list[str] = []
    done = asyncio.Event()

    async def step(app: web.Application) -> bool:
        calls.append("call")
        if len(calls) == 1:
            raise ConnectionRefusedError("database down")  # an OSError: logged, retried
        if len(calls) < 4:
            return True  # more to do: no pause
        done.set()
        return False

    app = web.Application()
    app.cleanup_ctx.append(periodic("probe", lambda app: 0.0, step))
    server = TestServer(app)
    await server.start_server()
    await asyncio.wait_for(done.wait(), 10)
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "probe"]
    assert len(tasks) == 1 and len(calls) >= 4
    await server.close()
    assert tasks[0].done() and tasks[0].cancelled()


async def test_a_step_with_a_bug_is_logged_counted_and_retried() -> None:
    calls: list[str] = []
    done = asyncio.Event()

    async def step(app: web.Application) -> None:
        calls.append("call")
        if len(calls) <= 2:
            raise KeyError("a bug, not an outage")  # before: the loop ended here, silently
        done.set()

    def errors() -> float:
        return REGISTRY.get_sample_value("lsc_background_failures_total", {"task": "buggy", "kind": "error"}) or 0

    before = errors()
    app = web.Application()
    app.cleanup_ctx.append(periodic("buggy", lambda app: 0.0, step))
    server = TestServer(app)
    await server.start_server()
    await asyncio.wait_for(done.wait(), 10)
    await server.close()
    assert errors() - before == 2
    assert (REGISTRY.get_sample_value("lsc_background_last_success_timestamp_seconds", {"task": "buggy"}) or 0) > 0


async def test_a_swallowed_cancellation_still_stops_the_loop() -> None:
    busy = asyncio.Event()

    async def step(app: web.Application) -> None:
        busy.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            return  # swallowed, as Python 3.11's asyncio.wait_for can do when its inner task completes
    app = web.Application()
    app.cleanup_ctx.append(periodic("swallower", lambda app: 3600.0, step))
    server = TestServer(app)
    await server.start_server()
    await asyncio.wait_for(busy.wait(), 5)
    task = next(t for t in asyncio.all_tasks() if t.get_name() == "swallower")
    await asyncio.wait_for(server.close(), 5)
    # The loop ended by itself; before the fix it slept on and was only ended by a second cancellation.
    assert task.done() and not task.cancelled()
