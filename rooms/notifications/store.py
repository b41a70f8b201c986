"""SQL of notifications: stored rows, the claim that makes each push happen once, a user's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from server.sql import Conn

_COLUMNS = "id, user_id, type, text, actor_id, data, read, created_at"


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    user_id: int
    type: str
    text: str
    actor_id: int | None
    data: dict[str, Any]
    read: bool
    created_at: datetime

    @classmethod
    def of(cls, row: asyncpg.Record) -> Notification:
        return cls(row["id"], row["user_id"], row["type"], row["text"], row["actor_id"], row["data"], row["read"],
                   row["created_at"])


async def insert_pushed(conn: Conn, user_id: int, type_: str, text: str, data: dict[str, Any],
                        actor_id: int | None) -> Notification:
    """A notification the caller pushes itself right away (marked pushed, so the pusher skips it)."""
    row = await conn.fetchrow(
        f"""INSERT INTO notifications (user_id, type, text, actor_id, data, pushed_at)
            VALUES ($1, $2, $3, $4, $5, now()) RETURNING {_COLUMNS}""",
        user_id, type_, text, actor_id, data,
    )
    return Notification.of(row)


async def insert(conn: Conn, user_id: int, type_: str, text: str, data: dict[str, Any], actor_id: int | None) -> None:
    """A notification for the pusher to send once the caller's transaction commits."""
    await conn.execute(
        "INSERT INTO notifications (user_id, type, text, actor_id, data) VALUES ($1, $2, $3, $4, $5)",
        user_id, type_, text, actor_id, data,
    )


async def insert_for(conn: Conn, recipients: str, args: list[Any], type_: str, text: str, actor_id: int | None,
                     data: dict[str, Any]) -> int:
    """One notification for each user id that the query `recipients` (over `args` as $1...) returns, in one
    statement; returns how many."""
    n = len(args)
    status: str = await conn.execute(
        f"""INSERT INTO notifications (user_id, type, text, actor_id, data)
            SELECT r.user_id, ${n + 1}, ${n + 2}, ${n + 3}, ${n + 4} FROM ({recipients}) AS r(user_id)""",
        *args, type_, text, actor_id, data,
    )
    return int(status.split()[-1])


async def insert_for_followers(conn: Conn, actor_id: int, type_: str, text: str, data: dict[str, Any]) -> int:
    """One notification for every follower of actor_id, in one statement; returns how many."""
    return await insert_for(conn, "SELECT follower_id FROM follows WHERE following_id = $1", [actor_id], type_,
                            text, actor_id, data)


async def claim_unpushed(conn: Conn, limit: int) -> list[Notification]:
    """Mark up to `limit` committed, unpushed notifications pushed and return them, oldest first. Rows
    another process holds are skipped, so each is claimed once."""
    rows = await conn.fetch(
        f"""UPDATE notifications SET pushed_at = now()
            WHERE id IN (SELECT id FROM notifications WHERE pushed_at IS NULL ORDER BY id LIMIT $1
                         FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        limit,
    )
    return sorted((Notification.of(r) for r in rows), key=lambda n: n.id)


async def counts(conn: Conn, user_id: int) -> tuple[int, int]:
    """(total, unread) of a user's notifications."""
    row = await conn.fetchrow(
        "SELECT count(*) AS total, count(*) FILTER (WHERE NOT read) AS unread FROM notifications WHERE user_id = $1",
        user_id,
    )
    return int(row["total"]), int(row["unread"])


async def page(conn: Conn, user_id: int, limit: int, offset: int) -> list[Notification]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        user_id, limit, offset,
    )
    return [Notification.of(r) for r in rows]


async def mark_read(conn: Conn, user_id: int, notification_id: int) -> Notification | None:
    row = await conn.fetchrow(
        f"UPDATE notifications SET read = true WHERE id = $1 AND user_id = $2 RETURNING {_COLUMNS}",
        notification_id, user_id,
    )
    return Notification.of(row) if row else None


async def mark_all_read(conn: Conn, user_id: int) -> int:
    """Mark every unread notification of the user read; how many were unread."""
    status: str = await conn.execute("UPDATE notifications SET read = true WHERE user_id = $1 AND NOT read", user_id)
    return int(status.split()[-1])


async def noted(conn: Conn, user_id: int, type_: str, data: dict[str, Any]) -> bool:
    """Whether the user has a notification of this type whose data holds `data` (a milestone told once)."""
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM notifications WHERE user_id = $1 AND type = $2 AND data @> $3)",
        user_id, type_, data)
    return found


async def delete(conn: Conn, user_id: int, notification_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM notifications WHERE id = $1 AND user_id = $2",
                                     notification_id, user_id)
    return status != "DELETE 0"
