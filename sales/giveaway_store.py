"""SQL of giveaways: entries, the draw on the locked row, and who is eligible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from server.sql import Conn, one

COLUMNS = """g.id, g.livestream_id, g.seller_id, g.product_id, g.eligibility, g.status, g.ends_at, g.entries,
             g.winner_id, wu.username AS winner_username, g.seed, g.entries_hash, g.version, p.name AS product_name,
             (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image"""
FROM = "FROM giveaways g JOIN products p ON p.id = g.product_id LEFT JOIN users wu ON wu.id = g.winner_id"
# Who may enter, by the giveaway's eligibility: anyone but the seller; the seller's followers (the feed's
# follows table); buyers with a paid order from the seller (paid, shipped or delivered).
ELIGIBLE = """
    $2 <> g.seller_id AND (
        g.eligibility = 'everyone'
        OR (g.eligibility = 'followers'
            AND EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $2 AND f.following_id = g.seller_id))
        OR (g.eligibility = 'buyers'
            AND EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = $2 AND o.seller_id = g.seller_id
                        AND o.status IN ('paid', 'shipped', 'delivered'))))
"""


@dataclass(frozen=True, slots=True)
class Giveaway:
    id: int
    livestream_id: int
    seller_id: int
    product_id: int
    eligibility: str
    status: str
    ends_at: datetime
    entries: int
    winner_id: int | None
    winner_username: str | None
    seed: str | None
    entries_hash: str | None
    version: int
    product_name: str
    image: str | None


@dataclass(frozen=True, slots=True)
class LockedGiveaway(Giveaway):
    now: datetime


async def insert(conn: asyncpg.Connection, stream_id: int, seller_id: int, product_id: int, eligibility: str,
                 duration_s: int) -> int | None:
    """A new open giveaway; None if the show has one open already."""
    try:
        giveaway_id: int = await conn.fetchval(
            """INSERT INTO giveaways (livestream_id, seller_id, product_id, eligibility, ends_at)
               VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING id""",
            stream_id, seller_id, product_id, eligibility, duration_s)
    except asyncpg.UniqueViolationError:
        return None
    return giveaway_id


async def fetch(conn: Conn, giveaway_id: int) -> Giveaway | None:
    return one(Giveaway, await conn.fetchrow(f"SELECT {COLUMNS} {FROM} WHERE g.id = $1", giveaway_id))


async def open_in(conn: Conn, stream_id: int) -> Giveaway | None:
    return one(Giveaway, await conn.fetchrow(f"SELECT {COLUMNS} {FROM} WHERE g.livestream_id = $1 AND "
                                             "g.status = 'open'", stream_id))


async def lock(conn: asyncpg.Connection, giveaway_id: int) -> LockedGiveaway | None:
    return one(LockedGiveaway, await conn.fetchrow(
        f"SELECT {COLUMNS}, now() AS now {FROM} WHERE g.id = $1 FOR UPDATE OF g", giveaway_id))


async def eligible(conn: Conn, giveaway_id: int, user_id: int) -> bool:
    found: bool = await conn.fetchval(f"SELECT {ELIGIBLE} FROM giveaways g WHERE g.id = $1", giveaway_id, user_id)
    return bool(found)


async def enter(conn: asyncpg.Connection, giveaway_id: int, user_id: int) -> int | None:
    """Add an entry (in the caller's transaction, on the locked row); the entry count, or None if the user had
    entered already."""
    added = await conn.execute(
        "INSERT INTO giveaway_entries (giveaway_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        giveaway_id, user_id)
    if added == "INSERT 0 0":
        return None
    count: int = await conn.fetchval(
        "UPDATE giveaways SET entries = entries + 1, version = version + 1 WHERE id = $1 RETURNING entries",
        giveaway_id)
    return count


async def eligible_entrants(conn: asyncpg.Connection, giveaway_id: int) -> list[int]:
    """The entrants still eligible at the draw, by user id (the order the draw's hash is taken in)."""
    rows = await conn.fetch(
        f"""SELECT e.user_id FROM giveaway_entries e JOIN giveaways g ON g.id = e.giveaway_id
            WHERE e.giveaway_id = $1 AND {ELIGIBLE.replace('$2', 'e.user_id')} ORDER BY e.user_id""",
        giveaway_id)
    return [int(r["user_id"]) for r in rows]


async def drawn(conn: asyncpg.Connection, giveaway_id: int, winner_id: int | None, order_id: int | None,
                seed: str, entries_hash: str) -> int:
    """On the locked row: open -> drawn, with the winner and what audits the draw; its new version."""
    version: int = await conn.fetchval(
        """UPDATE giveaways SET status = 'drawn', winner_id = $2, order_id = $3, seed = $4, entries_hash = $5,
                  drawn_at = now(), version = version + 1 WHERE id = $1 RETURNING version""",
        giveaway_id, winner_id, order_id, seed, entries_hash)
    return version


async def due(conn: Conn) -> list[int]:
    rows = await conn.fetch("SELECT id FROM giveaways WHERE status = 'open' AND ends_at <= now() ORDER BY ends_at")
    return [int(r["id"]) for r in rows]


async def entrants(conn: Conn, giveaway_id: int) -> list[int]:
    return [int(r["user_id"]) for r in await conn.fetch(
        "SELECT user_id FROM giveaway_entries WHERE giveaway_id = $1 ORDER BY user_id", giveaway_id)]
