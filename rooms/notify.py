"""Notifications: stored, then pushed to the user's /ws/notifications/ sockets on every process."""

from __future__ import annotations

from typing import Any

import asyncpg

from rooms.bridge import Bridge
from server.sql import Conn


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def notification_out(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "type": row["type"], "text": row["text"], "actor": row["actor_id"],
            "data": row["data"], "read": row["read"], "created_at": row["created_at"].isoformat()}


_COLUMNS = "id, user_id, type, text, actor_id, data, read, created_at"


async def notify(conn: Conn, bridge: Bridge, user_id: int, type_: str, text: str,
                 data: dict[str, Any] | None = None, actor_id: int | None = None) -> dict[str, Any]:
    """Store a notification and push it live. Call after the change it tells of has committed."""
    row = await conn.fetchrow(
        f"""INSERT INTO notifications (user_id, type, text, actor_id, data, pushed_at)
            VALUES ($1, $2, $3, $4, $5, now()) RETURNING {_COLUMNS}""",
        user_id, type_, text, actor_id, data or {},
    )
    out = notification_out(row)
    await bridge.publish(user_room(user_id), "notification", out)
    return out


async def notify_after_commit(conn: asyncpg.Connection, user_id: int, type_: str, text: str,
                              data: dict[str, Any] | None = None, actor_id: int | None = None) -> None:
    """Store a notification in the caller's transaction; the pusher sends it once that has committed."""
    await conn.execute(
        "INSERT INTO notifications (user_id, type, text, actor_id, data) VALUES ($1, $2, $3, $4, $5)",
        user_id, type_, text, actor_id, data or {},
    )


async def notify_followers(conn: asyncpg.Connection, actor_id: int, type_: str, text: str,
                           data: dict[str, Any]) -> int:
    """In the caller's transaction, store a notification for every follower of actor_id (one statement,
    however many); the pusher sends them once committed. Returns how many."""
    status: str = await conn.execute(
        """INSERT INTO notifications (user_id, type, text, actor_id, data)
           SELECT follower_id, $2, $3, $1, $4 FROM follows WHERE following_id = $1""",
        actor_id, type_, text, data,
    )
    return int(status.split()[-1])


async def push_stored(pool: asyncpg.Pool, bridge: Bridge, limit: int = 200) -> int:
    """Push the committed notifications not pushed yet; every process may run this (rows are claimed)."""
    rows = await pool.fetch(
        f"""UPDATE notifications SET pushed_at = now()
            WHERE id IN (SELECT id FROM notifications WHERE pushed_at IS NULL ORDER BY id LIMIT $1
                         FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        limit,
    )
    for row in sorted(rows, key=lambda r: r["id"]):
        await bridge.publish(user_room(row["user_id"]), "notification", notification_out(row))
    return len(rows)


async def push(bridge: Bridge, user_id: int, type_: str, data: dict[str, Any]) -> None:
    """A live event for one user's sockets only, not stored (credit warnings, leaderboard ticks)."""
    await bridge.publish(user_room(user_id), type_, data)


async def page(conn: Conn, user_id: int, limit: int, offset: int) -> tuple[int, int, list[dict[str, Any]]]:
    """(total, unread, a page newest first) of a user's notifications."""
    counts = await conn.fetchrow(
        "SELECT count(*) AS total, count(*) FILTER (WHERE NOT read) AS unread FROM notifications WHERE user_id = $1",
        user_id,
    )
    rows = await conn.fetch(
        """SELECT id, type, text, actor_id, data, read, created_at FROM notifications WHERE user_id = $1
           ORDER BY id DESC LIMIT $2 OFFSET $3""",
        user_id, limit, offset,
    )
    return counts["total"], counts["unread"], [notification_out(r) for r in rows]


async def mark_read(conn: Conn, user_id: int, notification_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """UPDATE notifications SET read = true WHERE id = $1 AND user_id = $2
           RETURNING id, type, text, actor_id, data, read, created_at""",
        notification_id, user_id,
    )
    return notification_out(row) if row else None


async def delete(conn: Conn, user_id: int, notification_id: int) -> bool:
    status: str = await conn.execute("DELETE FROM notifications WHERE id = $1 AND user_id = $2",
                                     notification_id, user_id)
    return status != "DELETE 0"
