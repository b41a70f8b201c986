"""Test harness: real PostgreSQL and Redis (embedded unless LSC_TEST_* URLs are set), a clean state per test."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient

from feed.videos.categories import load_defaults
from server.app import create_app
from server.config import ROOT, Config, load_config
from server.demo import create_admin
from server.embedded import EmbeddedServices, LocalCluster
from server.keys import DB
from server.migrate import migrate
from server.redis import create_redis
from tests.helpers import Account, Api

if TYPE_CHECKING:
    from tests.processes import ServerProcess

# Fast password hashing for tests; the format records N, so this changes nothing else.
TEST_SCRYPT_N = 1024


@dataclass(frozen=True)
class Services:
    database_url: str
    redis_url: str
    redis_cluster: bool = False  # redis_url names a node of a Redis Cluster

    def redis(self) -> aioredis.Redis:
        """A client of the tests' Redis, a cluster client when it is one (the app's own factory)."""
        return create_redis(self.redis_url, cluster=self.redis_cluster)


# `make test-cluster` sets it: Redis is a local Valkey cluster of three masters (or LSC_TEST_REDIS_URL names a
# node of one).
REDIS_CLUSTER = os.environ.get("LSC_TEST_REDIS_CLUSTER", "") == "1"
_started_cluster: list[LocalCluster] = []  # the one the session started, for the tests that move slots


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    """The servers for the whole session, with a freshly migrated schema."""
    db_url = os.environ.get("LSC_TEST_DATABASE_URL", "")
    redis_url = os.environ.get("LSC_TEST_REDIS_URL", "")
    embedded = cluster = None
    try:
        if REDIS_CLUSTER and not redis_url:
            cluster = LocalCluster(ROOT / "var" / "test" / "cluster")
            cluster.start()
            _started_cluster.append(cluster)
            redis_url = cluster.url
        if not (db_url and redis_url):
            embedded = EmbeddedServices(
                ROOT / "var" / "test", postgres=not db_url, redis=not redis_url, database="lsc_test"
            )
            embedded.start()
            db_url = db_url or embedded.database_url
            redis_url = redis_url or embedded.redis_url
        asyncio.run(_fresh_schema(db_url))
        yield Services(db_url, redis_url, REDIS_CLUSTER)
    finally:
        if embedded is not None:
            embedded.stop()
        if cluster is not None:
            _started_cluster.clear()
            cluster.stop()


@pytest.fixture(scope="session")
def local_cluster(services: Services) -> LocalCluster:
    """The local cluster the session started (tests that move slots need its nodes); skipped without one."""
    if not _started_cluster:
        pytest.skip("needs the local Valkey cluster: make test-cluster")
    return _started_cluster[0]


async def _fresh_schema(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    await migrate(db_url)


async def reset_state(services: Services) -> None:
    """Empty every table (ids restart) and Redis: each test starts from nothing. Only the tables that hold
    rows or whose id sequence has moved are truncated: truncating all of them made every test ~0.2 s slower."""
    conn = await asyncpg.connect(services.database_url)
    try:
        tables = [r["t"] for r in await conn.fetch(
            "SELECT quote_ident(tablename) AS t FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename <> 'schema_migrations'"
        )]
        used = set()
        if tables:
            probe = " UNION ALL ".join(f"SELECT '{t}' AS t WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
            used = {r["t"] for r in await conn.fetch(probe)}
            used |= {r["t"] for r in await conn.fetch(
                """SELECT quote_ident(t.relname) AS t FROM pg_sequences s
                   JOIN pg_class sc ON sc.relname = s.sequencename AND s.schemaname = 'public'
                   JOIN pg_depend d ON d.objid = sc.oid AND d.deptype IN ('a', 'i')
                   JOIN pg_class t ON t.oid = d.refobjid
                   WHERE s.last_value IS NOT NULL""")}
        if used:
            await conn.execute(f"TRUNCATE {', '.join(sorted(used))} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    client = services.redis()
    try:
        await client.flushdb()  # on a cluster: every master's
    finally:
        await client.aclose()


def make_config(services: Services, **sections: Any) -> Config:
    """The test config: real servers, fast hashing, no environment leaking in; sections override."""
    overrides: dict[str, Any] = {
        "database": {"url": services.database_url, "pool_min": 1, "pool_max": 5},
        "redis": {"url": services.redis_url, "cluster": services.redis_cluster},
        "auth": {"scrypt_n": TEST_SCRYPT_N},
        "server": {"var_dir": str(ROOT / "var" / "test")},
        # Background sweeps run once at start-up; tests call the sweep functions when they need one.
        # Product list pages are not kept (tests read stock right after orders); test_catalog tests the keeping.
        "commerce": {"expiry_sweep_interval_s": 3600.0, "list_page_cache_s": 0},
        "mail": {"poll_interval_s": 3600.0},
        "credits": {"meter_interval_s": 3600.0},
        "rooms": {"notification_push_s": 3600.0, "outbox_sweep_s": 3600.0, "reaction_flush_ms": 3_600_000,
                  "poll_update_s": 3600.0},
        "bidding": {"sweep_interval_s": 3600.0},
        "feed": {"trend_interval_s": 3600.0, "leaderboard_push_s": 3600.0, "render_cache_s": 0},
        "sales": {"update_interval_s": 3600.0, "sweep_interval_s": 3600.0},
        "livestreams": {"reminder_sweep_s": 3600.0, "timeline_s": 3600.0},
    }
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    return load_config(env={}, overrides=overrides)


@pytest.fixture
async def clean(services: Services) -> Services:
    await reset_state(services)
    return services


@pytest.fixture
def config(clean: Services) -> Config:
    return make_config(clean)


@pytest.fixture
def app(config: Config) -> web.Application:
    return create_app(config)


@pytest.fixture
async def client(aiohttp_client: Any, app: web.Application) -> TestClient[Any, Any]:
    result: TestClient[Any, Any] = await aiohttp_client(app)
    return result


@pytest.fixture
def api(client: TestClient[Any, Any]) -> Api:
    return Api(client)


@pytest.fixture
async def two(aiohttp_client: Any, clean: Services, api: Api) -> tuple[TestClient[Any, Any], TestClient[Any, Any]]:
    """Two server processes (separate apps and ports) on the same PostgreSQL and Redis."""
    second = await aiohttp_client(create_app(make_config(clean)))
    return api.client, second


@pytest.fixture
async def db(clean: Services) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection for checking what the API stored."""
    conn = await asyncpg.connect(clean.database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def admin(api: Api, config: Config) -> Account:
    """A signed-in admin, created the way `python -m server createadmin` does."""
    await create_admin(config, "root", "root@example.com", "root-pass-123")
    return await api.login("root", "root-pass-123")


@pytest.fixture
async def servers(clean: Services) -> AsyncIterator[list[ServerProcess]]:
    """Server processes a test starts (tests.processes.start_server) and appends here; stopped after it."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        if server.proc.returncode is None:
            server.proc.send_signal(signal.SIGTERM)
    for server in started:
        await asyncio.wait_for(server.proc.wait(), 30)


@pytest.fixture
async def video_categories(api: Api) -> dict[str, int]:
    """The default video categories, by slug."""
    pool = api.client.app[DB]
    await load_defaults(pool)
    rows = await pool.fetch("SELECT slug, id FROM video_categories")
    return {r["slug"]: r["id"] for r in rows}
