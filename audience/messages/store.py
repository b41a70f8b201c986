"""SQL of direct messages: threads by pair, unread counts, blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.sql import Conn, many, one

_MESSAGE = """SELECT m.id, m.sender_id, su.username AS sender_username, m.recipient_id,
                     ru.username AS recipient_username, m.text, m.order_id, m.created_at, m.read_at
              FROM direct_messages m JOIN users su ON su.id = m.sender_id JOIN users ru ON ru.id = m.recipient_id"""
_PAIR = "LEAST(m.sender_id, m.recipient_id) = LEAST($1::bigint, $2::bigint) " \
        "AND GREATEST(m.sender_id, m.recipient_id) = GREATEST($1::bigint, $2::bigint)"


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    sender_id: int
    sender_username: str
    recipient_id: int
    recipient_username: str
    text: str
    order_id: int | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class Thread:
    other_id: int
    other_username: str
    last_id: int
    unread: int


@dataclass(frozen=True, slots=True)
class Recipient:
    is_active: bool
    blocks_sender: bool


async def recipient(conn: Conn, sender_id: int, recipient_id: int) -> Recipient | None:
    """Whether the recipient exists and is active, and whether they blocked the sender."""
    return one(Recipient, await conn.fetchrow(
        """SELECT u.is_active, EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $1)
                  AS blocks_sender
           FROM users u WHERE u.id = $2""", sender_id, recipient_id))


async def order_between(conn: Conn, order_id: int, a: int, b: int) -> bool:
    """Whether the order is between these two users (one the buyer, the other the seller)."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM orders WHERE id = $1
                          AND ((buyer_id = $2 AND seller_id = $3) OR (buyer_id = $3 AND seller_id = $2)))""",
        order_id, a, b)
    return found


async def insert(conn: Conn, sender_id: int, recipient_id: int, text: str, order_id: int | None) -> Message:
    message_id: int = await conn.fetchval(
        """INSERT INTO direct_messages (sender_id, recipient_id, text, order_id) VALUES ($1, $2, $3, $4)
           RETURNING id""", sender_id, recipient_id, text, order_id)
    found = await fetch(conn, message_id)
    assert found is not None
    return found


async def fetch(conn: Conn, message_id: int) -> Message | None:
    return one(Message, await conn.fetchrow(f"{_MESSAGE} WHERE m.id = $1", message_id))


async def thread(conn: Conn, me: int, other: int, before: int | None, limit: int) -> list[Message]:
    """The messages between two users, newest first, older than `before` if given."""
    return many(Message, await conn.fetch(
        f"{_MESSAGE} WHERE {_PAIR} AND ($3::bigint IS NULL OR m.id < $3) ORDER BY m.id DESC LIMIT $4",
        me, other, before, limit))


async def threads(conn: Conn, me: int, limit: int, offset: int) -> tuple[int, list[Thread]]:
    """One row per user the caller has messages with: the last message's id and the unread count, the most
    recent thread first; and how many threads there are."""
    pairs = """SELECT CASE WHEN sender_id = $1 THEN recipient_id ELSE sender_id END AS other_id, max(id) AS last_id
               FROM direct_messages WHERE sender_id = $1 OR recipient_id = $1 GROUP BY 1"""
    count: int = await conn.fetchval(f"SELECT count(*) FROM ({pairs}) t", me)
    rows = await conn.fetch(
        f"""SELECT t.other_id, u.username AS other_username, t.last_id,
                   (SELECT count(*) FROM direct_messages d
                    WHERE d.recipient_id = $1 AND d.sender_id = t.other_id AND d.read_at IS NULL) AS unread
            FROM ({pairs}) t JOIN users u ON u.id = t.other_id
            ORDER BY t.last_id DESC LIMIT $2 OFFSET $3""", me, limit, offset)
    return count, many(Thread, rows)


async def messages(conn: Conn, ids: list[int]) -> dict[int, Message]:
    return {m.id: m for m in many(Message, await conn.fetch(f"{_MESSAGE} WHERE m.id = ANY($1::bigint[])", ids))}


async def mark_read(conn: Conn, me: int, other: int) -> int:
    """Mark what `other` sent to `me` read; how many were unread."""
    status: str = await conn.execute(
        "UPDATE direct_messages SET read_at = now() WHERE recipient_id = $1 AND sender_id = $2 AND read_at IS NULL",
        me, other)
    return int(status.split()[-1])


async def block(conn: Conn, blocker: int, blocked: int) -> None:
    await conn.execute("INSERT INTO user_blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       blocker, blocked)


async def unblock(conn: Conn, blocker: int, blocked: int) -> bool:
    status: str = await conn.execute("DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2",
                                     blocker, blocked)
    return status != "DELETE 0"


async def blocked_by(conn: Conn, blocker: int) -> list[int]:
    rows = await conn.fetch("SELECT blocked_id FROM user_blocks WHERE blocker_id = $1 ORDER BY created_at",
                            blocker)
    return [int(r["blocked_id"]) for r in rows]
