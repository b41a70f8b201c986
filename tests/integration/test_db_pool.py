"""The PostgreSQL pool: requests waiting for a connection are served in arrival order, and a wait is bounded."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from server.config import DatabaseConfig
from server.db import create_pool
from tests.conftest import Services


async def test_waiters_are_served_in_arrival_order_and_a_latecomer_waits_its_turn(services: Services) -> None:
    pool = await create_pool(DatabaseConfig(url=services.database_url, pool_min=1, pool_max=1))
    served: list[str] = []

    async def use(name: str) -> None:
        async with pool.acquire() as conn:
            served.append(name)
            await conn.fetchval("SELECT 1")

    try:
        held = await pool.acquire()
        waiters = [asyncio.create_task(use(f"waiter {i}")) for i in range(3)]
        for _ in range(10):  # let them queue, in this order
            await asyncio.sleep(0)
        assert not any(w.done() for w in waiters)
        await pool.release(held)
        # Arrives the moment the connection is free, before any waiter has run: it must not take it first.
        latecomer = asyncio.create_task(use("latecomer"))
        await asyncio.gather(*waiters, latecomer)
        assert served == ["waiter 0", "waiter 1", "waiter 2", "latecomer"]
        await pool.release(held)  # released twice: harmless, and no extra turn is made
        async with pool.acquire() as a:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await pool.acquire()  # one connection: still one turn
            assert await a.fetchval("SELECT 2") == 2
    finally:
        await pool.close()


async def test_a_wait_for_a_connection_is_bounded(services: Services) -> None:
    pool = await create_pool(DatabaseConfig(url=services.database_url, pool_min=1, pool_max=1, pool_timeout_s=0.05))
    before = REGISTRY.get_sample_value("lsc_db_pool_wait_seconds_count") or 0
    try:
        async with pool.acquire():
            with pytest.raises(TimeoutError):  # the app answers 503 `unavailable` for it
                await pool.fetchval("SELECT 1")
        assert await pool.fetchval("SELECT 1") == 1  # the turn the timed-out waiter never took is not lost
    finally:
        await pool.close()
    assert (REGISTRY.get_sample_value("lsc_db_pool_wait_seconds_count") or 0) - before == 3
