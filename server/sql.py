"""Small SQL helpers shared by the stores: partial updates and LIKE patterns."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias, TypeVar

import asyncpg

# A pool or a connection: a single statement runs on either; several in one transaction need a connection.
Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool
T = TypeVar("T")


def one(cls: Callable[..., T], row: asyncpg.Record | None) -> T | None:
    """A row as the store's frozen dataclass (its fields are the query's columns), or None: Records stop here."""
    return None if row is None else cls(**row)


def many(cls: Callable[..., T], rows: Iterable[asyncpg.Record]) -> list[T]:
    """Rows as the store's frozen dataclasses."""
    return [cls(**row) for row in rows]


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
