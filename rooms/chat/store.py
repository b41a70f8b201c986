"""SQL for chat messages, moderators, bans and chat settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.sql import Conn, many, one


@dataclass(frozen=True, slots=True)
class SenderContext:
    """Everything a chat send or a moderation is decided on, read in one query."""

    status: str
    slow_mode_s: int
    blocked_words: list[str]
    seller_id: int
    username: str
    is_active: bool
    ban_until: datetime | None
    has_ban: bool
    moderates: bool


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    user_id: int
    username: str
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    created_at: datetime


async def sender_context(conn: Conn, stream_id: int, user_id: int) -> SenderContext | None:
    """In one query: the stream's status and chat settings, the sender's ban, and whether they moderate."""
    return one(SenderContext, await conn.fetchrow(
        """SELECT l.status, l.slow_mode_s, l.blocked_words, l.seller_id,
                  u.username, u.is_active,
                  b.until AS ban_until, (b.user_id IS NOT NULL) AS has_ban,
                  (l.seller_id = $2 OR m.user_id IS NOT NULL OR u.role = 'admin') AS moderates
           FROM livestreams l JOIN users u ON u.id = $2
           LEFT JOIN livestream_bans b ON b.livestream_id = l.id AND b.user_id = $2
           LEFT JOIN livestream_moderators m ON m.livestream_id = l.id AND m.user_id = $2
           WHERE l.id = $1""",
        stream_id, user_id,
    ))


async def insert_message(conn: Conn, stream_id: int, user_id: int, text: str) -> Stored:
    row = await conn.fetchrow(
        "INSERT INTO chat_messages (livestream_id, user_id, text) VALUES ($1, $2, $3) RETURNING id, created_at",
        stream_id, user_id, text,
    )
    return Stored(**row)


async def recent(conn: Conn, stream_id: int, before: int | None, limit: int) -> list[Message]:
    rows = await conn.fetch(
        """SELECT c.id, c.user_id, u.username, c.text, c.created_at FROM chat_messages c
           JOIN users u ON u.id = c.user_id
           WHERE c.livestream_id = $1 AND c.deleted_at IS NULL AND ($2::bigint IS NULL OR c.id < $2)
           ORDER BY c.id DESC LIMIT $3""",
        stream_id, before, limit,
    )
    return many(Message, rows)


async def delete_message(conn: Conn, stream_id: int, message_id: int, by: int) -> bool:
    status: str = await conn.execute(
        """UPDATE chat_messages SET deleted_at = now(), deleted_by = $3
           WHERE livestream_id = $1 AND id = $2 AND deleted_at IS NULL""",
        stream_id, message_id, by,
    )
    return status != "UPDATE 0"


async def ban(conn: Conn, stream_id: int, user_id: int, until: datetime | None, by: int) -> None:
    await conn.execute(
        """INSERT INTO livestream_bans (livestream_id, user_id, until, created_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (livestream_id, user_id) DO UPDATE SET until = EXCLUDED.until,
               created_by = EXCLUDED.created_by, created_at = now()""",
        stream_id, user_id, until, by,
    )


async def unban(conn: Conn, stream_id: int, user_id: int) -> bool:
    status: str = await conn.execute(
        "DELETE FROM livestream_bans WHERE livestream_id = $1 AND user_id = $2", stream_id, user_id
    )
    return status != "DELETE 0"


async def add_moderator(conn: Conn, stream_id: int, user_id: int) -> None:
    await conn.execute(
        "INSERT INTO livestream_moderators (livestream_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        stream_id, user_id,
    )


async def remove_moderator(conn: Conn, stream_id: int, user_id: int) -> bool:
    status: str = await conn.execute(
        "DELETE FROM livestream_moderators WHERE livestream_id = $1 AND user_id = $2", stream_id, user_id
    )
    return status != "DELETE 0"


async def moderators(conn: Conn, stream_id: int) -> list[int]:
    rows = await conn.fetch("SELECT user_id FROM livestream_moderators WHERE livestream_id = $1 ORDER BY user_id",
                            stream_id)
    return [r["user_id"] for r in rows]


async def settings(conn: Conn, stream_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT slow_mode_s, blocked_words, pinned_message FROM livestreams WHERE id = $1", stream_id
    )
    return dict(row)


async def update_settings(conn: Conn, stream_id: int, slow_mode_s: int, blocked_words: list[str],
                          pinned_message: str | None) -> None:
    await conn.execute(
        "UPDATE livestreams SET slow_mode_s = $2, blocked_words = $3, pinned_message = $4 WHERE id = $1",
        stream_id, slow_mode_s, blocked_words, pinned_message,
    )
