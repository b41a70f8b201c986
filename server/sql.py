"""What the stores share: the connection type, rows into typed rows, WHERE clauses, LIKE patterns."""

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



class Where:
    """A WHERE clause built condition by condition, with its parameters numbered $1, $2 ... as they are added."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        """The placeholder of a new parameter."""
        self.args.append(value)
        return f"${len(self.args)}"

    def clause(self) -> tuple[str, list[Any]]:
        """`WHERE a AND b ...` (or nothing) and the parameters."""
        return (f"WHERE {' AND '.join(self.conditions)}" if self.conditions else ""), self.args


def like_contains(text: str) -> str:
    """The text lower-cased with LIKE's wildcards escaped, for `col LIKE '%' || $n || '%'`."""
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
