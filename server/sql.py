"""Small SQL helpers shared by the stores: partial updates and LIKE patterns."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

# A pool or a connection: a single statement runs on either; several in one transaction need a connection.
Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


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


def like_contains(text: str) -> str:
    """The text lower-cased with LIKE's wildcards escaped, for `col LIKE '%' || $n || '%'`."""
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
