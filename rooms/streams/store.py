"""SQL for livestreams and their products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import asyncpg

from server.errors import Conflict, InvalidInput
from server.sql import Conn, many, one


@dataclass(frozen=True, slots=True)
class Stream:
    """A show with its seller's names (STREAM)."""

    id: int
    seller_id: int
    title: str
    description: str
    status: Literal["scheduled", "live", "ended"]
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    pinned_product_id: int | None
    pinned_message: str | None
    slow_mode_s: int
    blocked_words: list[str]
    seller_username: str
    seller_business_name: str


@dataclass(frozen=True, slots=True)
class ShowProduct:
    """A product as a show's room shows it; livestream_id when read for a list of shows."""

    id: int
    name: str
    price: Decimal
    stock: int
    image: str | None
    livestream_id: int = 0


STREAM = """
    SELECT l.id, l.seller_id, l.title, l.description, l.status, l.scheduled_at, l.started_at, l.ended_at,
           l.pinned_product_id, l.pinned_message, l.slow_mode_s, l.blocked_words,
           u.username AS seller_username, s.business_name AS seller_business_name
    FROM livestreams l JOIN users u ON u.id = l.seller_id JOIN sellers s ON s.user_id = l.seller_id
"""


async def insert_stream(conn: asyncpg.Connection, seller_id: int, title: str, description: str,
                        scheduled_at: datetime | None, product_ids: list[int]) -> int:
    stream_id: int = await conn.fetchval(
        """INSERT INTO livestreams (seller_id, title, description, scheduled_at) VALUES ($1, $2, $3, $4)
           RETURNING id""",
        seller_id, title, description, scheduled_at,
    )
    await set_products(conn, stream_id, seller_id, product_ids)
    return stream_id


async def update_stream(conn: asyncpg.Connection, stream_id: int, title: str, description: str,
                        scheduled_at: datetime | None, product_ids: list[int]) -> bool:
    """Change a show that has not started, its product list included; False if it is no longer scheduled."""
    seller_id: int | None = await conn.fetchval(
        """UPDATE livestreams SET title = $2, description = $3, scheduled_at = $4
           WHERE id = $1 AND status = 'scheduled' RETURNING seller_id""",
        stream_id, title, description, scheduled_at,
    )
    if seller_id is None:
        return False
    await conn.execute("DELETE FROM livestream_products WHERE livestream_id = $1", stream_id)
    await set_products(conn, stream_id, seller_id, product_ids)
    return True


async def set_products(conn: asyncpg.Connection, stream_id: int, seller_id: int, product_ids: list[int]) -> None:
    """The show's products, in order; only the seller's own active products."""
    unique = list(dict.fromkeys(product_ids))
    added = await conn.execute(
        """INSERT INTO livestream_products (livestream_id, product_id, position)
           SELECT $1, p.id, u.ord FROM unnest($2::bigint[]) WITH ORDINALITY AS u(id, ord)
           JOIN products p ON p.id = u.id AND p.seller_id = $3 AND p.is_active""",
        stream_id, unique, seller_id,
    )
    if int(added.split()[-1]) != len(unique):
        message = "Every product must be one of your active products."
        raise InvalidInput(message, fields={"product_ids": [message]})


async def fetch_stream(conn: Conn, stream_id: int) -> Stream | None:
    return one(Stream, await conn.fetchrow(f"{STREAM} WHERE l.id = $1", stream_id))


async def fetch_products(conn: Conn, stream_ids: list[int]) -> list[ShowProduct]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT lp.livestream_id, p.id, p.name, p.price, p.stock,
                  (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image
           FROM livestream_products lp JOIN products p ON p.id = lp.product_id
           WHERE lp.livestream_id = ANY($1::bigint[]) ORDER BY lp.livestream_id, lp.position""",
        stream_ids,
    )
    return many(ShowProduct, rows)


async def list_streams(conn: Conn, status: str | None, seller: int | None, limit: int,
                       offset: int) -> tuple[int, list[Stream]]:
    """Live shows newest first, then scheduled soonest first, then ended newest first."""
    where = "($1::text IS NULL OR l.status = $1) AND ($2::bigint IS NULL OR l.seller_id = $2)"
    count: int = await conn.fetchval(f"SELECT count(*) FROM livestreams l WHERE {where}", status, seller)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""{STREAM} WHERE {where}
            ORDER BY CASE l.status WHEN 'live' THEN 0 WHEN 'scheduled' THEN 1 ELSE 2 END,
                     CASE WHEN l.status = 'scheduled' THEN l.scheduled_at END ASC NULLS LAST,
                     COALESCE(l.ended_at, l.started_at, l.created_at) DESC, l.id DESC
            LIMIT $3 OFFSET $4""",
        status, seller, limit, offset,
    )
    return count, many(Stream, rows)


async def go_live(conn: asyncpg.Connection, stream_id: int) -> bool:
    """scheduled -> live in one conditional statement; one live show per seller (409 already_live)."""
    try:
        status: str = await conn.execute(
            "UPDATE livestreams SET status = 'live', started_at = now() WHERE id = $1 AND status = 'scheduled'",
            stream_id,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("You are already live in another show; end it first.", code="already_live") from None
    return status != "UPDATE 0"


async def end(conn: Conn, stream_id: int, reason: str) -> bool:
    """live -> ended, once."""
    status: str = await conn.execute(
        """UPDATE livestreams SET status = 'ended', ended_at = now(), ended_reason = $2
           WHERE id = $1 AND status = 'live'""",
        stream_id, reason,
    )
    return status != "UPDATE 0"


async def record_peaks(conn: Conn, viewers: dict[int, int]) -> None:
    """Raise each live show's peak_viewers to its current viewer count, in one statement."""
    await conn.execute(
        """UPDATE livestreams l SET peak_viewers = v.n
           FROM unnest($1::bigint[], $2::int[]) AS v(id, n)
           WHERE l.id = v.id AND l.status = 'live' AND v.n > l.peak_viewers""",
        list(viewers), list(viewers.values()),
    )


async def charged_blocks(conn: Conn, seller_id: int, stream_id: int) -> set[str]:
    """The ledger refs of the blocks of air time already charged for a show."""
    rows = await conn.fetch(
        "SELECT ref FROM credit_ledger WHERE seller_id = $1 AND reason = 'live_block' AND ref LIKE $2",
        seller_id, f"{stream_id}:%",
    )
    return {r["ref"] for r in rows}


async def pin_product(conn: Conn, stream_id: int, product_id: int) -> None:
    await conn.execute("UPDATE livestreams SET pinned_product_id = $2 WHERE id = $1", stream_id, product_id)


async def product_of_show(conn: Conn, stream_id: int, product_id: int) -> ShowProduct | None:
    """A product of the show's seller (active), as the room shows it."""
    return one(ShowProduct, await conn.fetchrow(
        """SELECT p.id, p.name, p.price, p.stock,
                  (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image
           FROM products p JOIN livestreams l ON l.seller_id = p.seller_id
           WHERE l.id = $1 AND p.id = $2 AND p.is_active""",
        stream_id, product_id,
    ))


@dataclass(frozen=True, slots=True)
class LiveShow:
    """A live show as the credit meter sees it, with the database's clock."""

    id: int
    seller_id: int
    started_at: datetime
    credit_warned_at: datetime | None
    now: datetime


async def live_shows(conn: Conn) -> list[LiveShow]:
    rows = await conn.fetch(
        "SELECT id, seller_id, started_at, credit_warned_at, now() AS now FROM livestreams WHERE status = 'live'"
    )
    return [LiveShow(r["id"], r["seller_id"], r["started_at"], r["credit_warned_at"], r["now"]) for r in rows]


async def clear_credit_warning(conn: Conn, stream_id: int) -> None:
    await conn.execute("UPDATE livestreams SET credit_warned_at = NULL WHERE id = $1", stream_id)


async def warn_out_of_credits(conn: Conn, stream_id: int) -> datetime | None:
    """Mark a live show warned; the time, for the one caller that set it, else None (warned already)."""
    warned: datetime | None = await conn.fetchval(
        """UPDATE livestreams SET credit_warned_at = now()
           WHERE id = $1 AND status = 'live' AND credit_warned_at IS NULL RETURNING credit_warned_at""",
        stream_id,
    )
    return warned
