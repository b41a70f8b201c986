"""Migrations: each file once, even with several processes starting at once; edited files refused."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest
from yarl import URL

from server.config import ROOT
from server.embedded import create_database
from server.migrate import MigrationError, load_migrations, migrate
from tests.conftest import Services


async def fresh_database(services: Services, name: str) -> str:
    """A new empty database on the test server; returns its URL."""
    await create_database(services.database_url, name, drop_first=True)
    base = URL(services.database_url)
    return str(base.with_path("/" + name).with_query(base.query))  # keep ?host= of a socket URL


async def test_two_processes_migrating_at_once_apply_each_file_once(services: Services) -> None:
    url = await fresh_database(services, "lsc_migrate_race")
    env = {**os.environ, "LSC_DATABASE_URL": url}
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-m", "server", "migrate", cwd=ROOT, env=env,
                                             stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    assert [p.returncode for p in procs] == [0, 0], outputs
    counts = sorted(int(out.split()[1]) for out, _ in outputs)
    expected = [m.version for m in load_migrations()]
    assert counts == [0, len(expected)]
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == expected
        assert await conn.fetchval("SELECT to_regclass('public.users') IS NOT NULL")
    finally:
        await conn.close()


@pytest.fixture
def slow_migrations(tmp_path: Path) -> Path:
    # A slow first file widens the window in which unlocked runners would collide.
    (tmp_path / "0001_slow.sql").write_text("SELECT pg_sleep(0.2); CREATE TABLE a (id int);")
    (tmp_path / "0002_b.sql").write_text("CREATE TABLE b (id int);")
    (tmp_path / "0003_c.sql").write_text("ALTER TABLE b ADD COLUMN name text;")
    return tmp_path


async def test_concurrent_runners_queue_on_the_lock(services: Services, slow_migrations: Path) -> None:
    url = await fresh_database(services, "lsc_migrate_lock")
    results = await asyncio.gather(*(migrate(url, slow_migrations) for _ in range(3)))
    applied = sorted(v for r in results for v in r)
    assert applied == ["0001_slow", "0002_b", "0003_c"]
    assert sorted(len(r) for r in results) == [0, 0, 3]
    assert await migrate(url, slow_migrations) == []


async def test_an_edited_applied_migration_is_refused(services: Services, slow_migrations: Path) -> None:
    url = await fresh_database(services, "lsc_migrate_edit")
    await migrate(url, slow_migrations)
    (slow_migrations / "0002_b.sql").write_text("CREATE TABLE b (id bigint);")
    with pytest.raises(MigrationError, match="0002_b was changed"):
        await migrate(url, slow_migrations)


async def test_a_failing_migration_leaves_nothing_behind(services: Services, tmp_path: Path) -> None:
    url = await fresh_database(services, "lsc_migrate_fail")
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE ok (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE half (id int); SELECT * FROM missing_table;")
    with pytest.raises(MigrationError, match="0002_bad failed"):
        await migrate(url, tmp_path)
    conn = await asyncpg.connect(url)
    try:
        assert [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")] == ["0001_ok"]
        assert await conn.fetchval("SELECT to_regclass('public.half')") is None
    finally:
        await conn.close()
