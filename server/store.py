"""The kernel's own SQL: a readiness probe, creating the database the embedded server serves, and the
partial update the stores share."""

from __future__ import annotations

from typing import Any

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


async def update_columns(
    conn: Conn, table: str, key: str, key_value: Any, changes: dict[str, Any], *, touch: bool = False
) -> str:
    """UPDATE table SET <changes> WHERE key = key_value; names come from code, values are parameters.

    `touch` also sets updated_at. Returns asyncpg's status ("UPDATE 1").
    """
    if not changes:
        return "UPDATE 0"
    assignments = [f"{column} = ${i + 2}" for i, column in enumerate(changes)]
    if touch:
        assignments.append("updated_at = now()")
    status: str = await conn.execute(
        f"UPDATE {table} SET {', '.join(assignments)} WHERE {key} = $1", key_value, *changes.values()
    )
    return status
