"""The kernel's own SQL: a readiness probe, and creating the database the embedded server serves."""

from __future__ import annotations

import asyncpg

from server.sql import Conn


async def ping(conn: Conn) -> None:
    """One round trip to PostgreSQL."""
    await conn.fetchval("SELECT 1")


async def create_database(conn: asyncpg.Connection, name: str, *, drop_first: bool = False) -> None:
    """Create the database if it does not exist (drop it first if asked); safe to race with other starters."""
    quoted = '"' + name.replace('"', '""') + '"'
    if drop_first:
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
        try:
            await conn.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            pass  # another process created it between our check and our create
