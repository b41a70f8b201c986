"""The Redis client (one connection pool per process, or redis-py's cluster client) and its lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
from aiohttp import web
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster

from server.keys import CONFIG, REDIS, REVOCATIONS, SESSIONS
from server.metrics import REDIS_POOL_WAIT
from server.revocation import Revocations
from server.sessions import Sessions


class MeasuredPool(aioredis.BlockingConnectionPool):
    """redis-py's blocking pool, timing how long each command waits for a connection."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            REDIS_POOL_WAIT.observe(time.perf_counter() - started)


def _take_newest(node: ClusterNode) -> Any:
    """A node's most recently freed connection, else a new one (redis-py takes the oldest freed one)."""
    free = node._free
    return free.pop() if free else _take_oldest(node)


# redis-py 8.1's asyncio cluster client follows an ASK redirect by sending ASKING and then the command as two
# commands, each on a connection taken from the node's free list: with two or more free, the command went out on
# another connection than ASKING, the importing node answered MOVED, and the client bounced between the two
# nodes until "TTL exhausted", closing every connection (the subscribers' too) on each fifth MOVED. Nothing yields
# between freeing the ASKING connection and taking the next one, so taking the newest makes both one connection.
# Process-wide, and harmless to other users of the class. tests/e2e/test_cluster.py moves a live room's slot.
_take_oldest = ClusterNode.acquire_connection
ClusterNode.acquire_connection = _take_newest  # type: ignore[method-assign,assignment]


class BoundedCluster(RedisCluster):
    """redis-py's asyncio cluster client with at most `limit` commands (or pipelines) in flight; one beyond them
    waits up to `wait_s` for a turn. Each node's own pool refuses a connection past its maximum at once
    (MaxConnectionsError), as the single-node pool did before it was made to wait; bounding what is in flight
    bounds the connections to every node."""

    def __init__(self, *args: Any, limit: int, wait_s: float, **kwargs: Any) -> None:
        # Each node's pool has room for every turn, plus the subscriber's connections to that node.
        kwargs["max_connections"] = limit + 8
        super().__init__(*args, **kwargs)
        self._turns = asyncio.Semaphore(limit)
        self._wait_s = wait_s

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the in-flight turns (a ConnectionError after `wait_s`, as the single-node pool raises)."""
        started = time.perf_counter()
        try:
            if self._turns.locked():  # only then wait, under a timer (wait_for makes a task: not for every command)
                await asyncio.wait_for(self._turns.acquire(), self._wait_s)
            else:
                await self._turns.acquire()  # returns at once
        except TimeoutError:
            raise redis.exceptions.ConnectionError("No connection available.") from None
        finally:
            REDIS_POOL_WAIT.observe(time.perf_counter() - started)
        try:
            yield
        finally:
            self._turns.release()

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self.turn():
            return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        return _BoundedPipeline(self, transaction)  # type: ignore[abstract]


class _BoundedPipeline(ClusterPipeline):
    """A cluster pipeline that takes one of its client's turns to run."""

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        client = cast(BoundedCluster, self.cluster_client)
        async with client.turn():
            return await super().execute(raise_on_error, allow_redirections)


def is_cluster(client: Any) -> bool:
    """The client talks to a Redis Cluster (sharded pub/sub, per-slot scripts)."""
    return isinstance(client, RedisCluster)


async def mget(client: aioredis.Redis, keys: list[str]) -> list[Any]:
    """The values of keys in their order (None: absent). On a cluster the keys of several slots are read slot by
    slot (redis-py's mget_nonatomic): a snapshot of each slot, not of all of them at one instant."""
    if is_cluster(client):
        return await cast(RedisCluster, client).mget_nonatomic(keys)
    return await client.mget(keys)


async def ready(client: aioredis.Redis) -> None:
    """Read a cluster's slot map now if it was not read yet (a no-op for one Redis): a pub/sub client needs it
    before its first subscribe, which does not read it by itself."""
    if is_cluster(client):
        await cast(RedisCluster, client).initialize()


def create_redis(url: str, max_connections: int = 100, pool_timeout_s: float = 5.0, *,
                 cluster: bool = False) -> aioredis.Redis:
    """A client for the URL; connections open lazily and are shared by every request. At most
    `max_connections` are open; a command beyond them waits up to `pool_timeout_s` for one to be free (redis-py's
    default pool refuses it at once with MaxConnectionsError: a burst of 250 reactions in one process failed).

    With `cluster`, the URL names any node of a Redis Cluster and the client learns the rest. It is typed as the
    single-node client because the code uses only commands both speak, with every multi-key command and script
    on keys of one hash tag; `make test-cluster` runs the suites that touch Redis against a real cluster."""
    if cluster:
        client = BoundedCluster.from_url(
            url, limit=max_connections, wait_s=pool_timeout_s, socket_connect_timeout=5, socket_timeout=10,
            health_check_interval=30)
        return cast(aioredis.Redis, client)
    pool = MeasuredPool.from_url(
        url, max_connections=max_connections, timeout=pool_timeout_s, socket_connect_timeout=5, socket_timeout=10,
        health_check_interval=30)
    return aioredis.Redis(connection_pool=pool)


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: create the client on start-up, close its pool on shutdown."""
    config = app[CONFIG].redis
    if not config.url:
        raise RuntimeError("redis.url is empty: start the app through `python -m server` or set LSC_REDIS_URL")
    client = create_redis(config.url, config.max_connections, config.pool_timeout_s, cluster=config.cluster)
    app[REDIS] = client
    app[SESSIONS] = Sessions(client, app[CONFIG])  # browser sign-ins live in Redis: one per app
    app[REVOCATIONS] = Revocations(client, app[CONFIG].auth.access_ttl_s)
    yield
    await client.aclose()
