"""A read replica (database.read_url): a streaming standby of the tests' PostgreSQL. Catalog lists and a product
read from it; a user who changed something lately, and whatever decides (a cart's stock check), read the
primary. The replica's replay is paused to make its lag visible."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from yarl import URL

from server.app import create_app
from server.config import ROOT
from server.demo import create_admin
from server.embedded import LocalReplica
from tests.conftest import Services, make_config
from tests.helpers import Api, category, product, verified_seller


@pytest.fixture(scope="module")
def replica(services: Services) -> Iterator[LocalReplica]:
    with LocalReplica(services.database_url, ROOT / "var" / "test" / "replica") as standby:
        yield standby


@pytest.fixture
async def standby(clean: Services, replica: LocalReplica) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the replica's copy of the tests' database (its replay resumed afterwards)."""
    conn = await asyncpg.connect(replica.url(URL(clean.database_url).path.lstrip("/")))
    yield conn
    await conn.execute("SELECT pg_wal_replay_resume()")
    await conn.close()


async def caught_up(primary: asyncpg.Connection, standby: asyncpg.Connection) -> None:
    """Wait until the replica has replayed everything the primary wrote so far (bounded: 10 s)."""
    target = await primary.fetchval("SELECT pg_current_wal_lsn()")
    for _ in range(1000):
        if await standby.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", target):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the replica did not catch up within 10 s")


async def names(api: Api, token: str | None = None) -> list[str]:
    reply = await api.get("/api/products/products/?ordering=created_at", token=token)
    assert reply.status == 200, reply.body
    return [p["name"] for p in reply.body["results"]]


async def test_lists_read_the_replica_while_writers_and_decisions_read_the_primary(
        aiohttp_client: Any, clean: Services, replica: LocalReplica, standby: asyncpg.Connection,
        db: asyncpg.Connection) -> None:
    config = make_config(clean, database={"read_url": replica.url(URL(clean.database_url).path.lstrip("/"))})
    api = Api(await aiohttp_client(create_app(config)))
    await create_admin(config, "root", "root@example.com", "root-pass-123")
    admin = await api.login("root", "root-pass-123")
    seller = await verified_seller(api, admin, "weaver")
    sarees = await category(api, admin)
    await product(api, seller, sarees, "first")
    buyer = await api.register("asha")
    await caught_up(db, standby)
    assert await names(api) == ["first"]

    await standby.execute("SELECT pg_wal_replay_pause()")  # from here the replica lags as long as the test says
    second = await product(api, seller, sarees, "second")
    assert await names(api) == ["first"]  # a signed-out list: from the replica
    assert await names(api, buyer.access) == ["first"]  # a buyer who changed nothing: from the replica too
    assert (await api.get(f"/api/products/products/{second['id']}/")).status == 404
    assert await names(api, seller.access) == ["first", "second"]  # the seller just wrote: the primary
    # Adding to a cart checks the stock on the primary, which has the product; the buyer has now written.
    added = await api.post("/api/orders/cart/add/", {"product_id": second["id"], "quantity": 1}, token=buyer.access)
    assert added.status in (200, 201), added.body
    assert await names(api, buyer.access) == ["first", "second"]

    await standby.execute("SELECT pg_wal_replay_resume()")
    await caught_up(db, standby)
    assert await names(api) == ["first", "second"]
    assert (await api.get(f"/api/products/products/{second['id']}/")).status == 200
