"""SQL for livestreams and their products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import asyncpg

from server.errors import Conflict, InvalidInput
from server.sql import Conn, Where, like_contains, many, one


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
    reminders_count: int
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
           l.pinned_product_id, l.pinned_message, l.slow_mode_s, l.blocked_words, l.reminders_count,
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


_ORDERINGS = {
    # Live shows newest first, then scheduled soonest first, then ended newest first.
    "default": """CASE l.status WHEN 'live' THEN 0 WHEN 'scheduled' THEN 1 ELSE 2 END,
                  CASE WHEN l.status = 'scheduled' THEN l.scheduled_at END ASC NULLS LAST,
                  COALESCE(l.ended_at, l.started_at, l.created_at) DESC, l.id DESC""",
    "scheduled_at": "l.scheduled_at ASC NULLS LAST, l.id",
    "-scheduled_at": "l.scheduled_at DESC NULLS LAST, l.id DESC",
    "-viewers": "CASE WHEN l.status = 'live' THEN l.viewers ELSE -1 END DESC, l.id DESC",
}


@dataclass(frozen=True)
class ShowFilter:
    """Which shows a list holds: words of the title, description or seller's name, a seller, a category of the
    show's products, a status."""

    search: str | None = None
    seller: int | None = None
    category: int | None = None
    status: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters ($1...), over livestreams l, users u and sellers s."""
        w = Where()
        if self.search:
            words = w.arg(like_contains(self.search))
            w.conditions.append(f"""(lower(l.title || ' ' || l.description) LIKE '%' || {words} || '%'
                                    OR lower(u.username || ' ' || s.business_name) LIKE '%' || {words} || '%')""")
        if self.seller is not None:
            w.conditions.append(f"l.seller_id = {w.arg(self.seller)}")
        if self.category is not None:
            category = w.arg(self.category)
            w.conditions.append(f"""EXISTS (SELECT 1 FROM livestream_products lp JOIN products p ON p.id = lp.product_id
                                            WHERE lp.livestream_id = l.id AND p.category_id = {category})""")
        if self.status is not None:
            w.conditions.append(f"l.status = {w.arg(self.status)}")
        return w.clause()


async def list_streams(conn: Conn, filters: ShowFilter, ordering: str, limit: int,
                       offset: int) -> tuple[int, list[Stream]]:
    """The shows that match, in `ordering` (a key of _ORDERINGS), and how many match."""
    clause, args = filters.where()
    n = len(args)
    count: int = await conn.fetchval(
        f"""SELECT count(*) FROM livestreams l JOIN users u ON u.id = l.seller_id
            JOIN sellers s ON s.user_id = l.seller_id {clause}""", *args)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{STREAM} {clause} ORDER BY {_ORDERINGS[ordering]} LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset)
    return count, many(Stream, rows)


async def delete_scheduled(conn: asyncpg.Connection, stream_id: int) -> bool:
    """Delete a show that has not started, with its run sheet; False if it is live or ended (or gone)."""
    status: str | None = await conn.fetchval("SELECT status FROM livestreams WHERE id = $1 FOR UPDATE", stream_id)
    if status != "scheduled":
        return False
    await conn.execute("DELETE FROM prebids WHERE bidding_id IN (SELECT id FROM biddings WHERE livestream_id = $1)",
                       stream_id)
    await conn.execute("DELETE FROM biddings WHERE livestream_id = $1", stream_id)
    await conn.execute("DELETE FROM livestreams WHERE id = $1", stream_id)
    return True


async def toggle_reminder(conn: asyncpg.Connection, stream_id: int, user_id: int) -> tuple[bool, int]:
    """Add the user's reminder for a scheduled show, or take it away if there was one: (reminded, how many
    reminders the show has). Conflict if the show is not scheduled."""
    status: str | None = await conn.fetchval("SELECT status FROM livestreams WHERE id = $1 FOR UPDATE", stream_id)
    if status != "scheduled":
        raise Conflict("Reminders are for shows that have not started.", code="not_scheduled")
    added: str = await conn.execute(
        "INSERT INTO show_reminders (livestream_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        stream_id, user_id)
    reminded = added != "INSERT 0 0"
    if not reminded:
        await conn.execute("DELETE FROM show_reminders WHERE livestream_id = $1 AND user_id = $2", stream_id, user_id)
    count: int = await conn.fetchval(
        "UPDATE livestreams SET reminders_count = reminders_count + $2 WHERE id = $1 RETURNING reminders_count",
        stream_id, 1 if reminded else -1)
    return reminded, count


async def reminded(conn: Conn, user_id: int, stream_ids: list[int]) -> set[int]:
    """Which of these shows the user asked to be reminded of."""
    rows = await conn.fetch("SELECT livestream_id FROM show_reminders WHERE user_id = $1 "
                            "AND livestream_id = ANY($2::bigint[])", user_id, stream_ids)
    return {r["livestream_id"] for r in rows}


async def send_due_reminders(conn: Conn, lead_s: int, text: str) -> int:
    """Store `show_starting_soon` for every reminder of a scheduled show starting within lead_s, once: the
    update marks each reminder as it stores its notification, and a second process's update finds it marked.
    `text` is a format with {title} and {seller}. How many were stored."""
    status: str = await conn.execute(
        """WITH due AS (
               UPDATE show_reminders r SET reminded_at = now()
               FROM livestreams l JOIN users u ON u.id = l.seller_id
               WHERE l.id = r.livestream_id AND r.reminded_at IS NULL AND l.status = 'scheduled'
                 AND l.scheduled_at IS NOT NULL AND l.scheduled_at <= now() + make_interval(secs => $1)
               RETURNING r.user_id, l.id, l.title, l.scheduled_at, l.seller_id, u.username)
           INSERT INTO notifications (user_id, type, text, actor_id, data)
           SELECT user_id, 'show_starting_soon', replace(replace($2, '{title}', title), '{seller}', username),
                  seller_id, jsonb_build_object('livestream_id', id, 'scheduled_at', scheduled_at)
           FROM due""",
        lead_s, text)
    return int(status.split()[-1])


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


async def end(conn: Conn, stream_id: int, reason: str, raided_to: int | None = None) -> bool:
    """live -> ended, once (by a raid of `raided_to`, if given)."""
    status: str = await conn.execute(
        """UPDATE livestreams SET status = 'ended', ended_at = now(), ended_reason = $2, raided_to = $3
           WHERE id = $1 AND status = 'live'""",
        stream_id, reason, raided_to,
    )
    return status != "UPDATE 0"


async def record_viewers(conn: Conn, viewers: dict[int, int]) -> None:
    """Keep each live show's current viewer count, and raise its peak_viewers to it, in one statement."""
    await conn.execute(
        """UPDATE livestreams l SET viewers = v.n, peak_viewers = GREATEST(l.peak_viewers, v.n)
           FROM unnest($1::bigint[], $2::int[]) AS v(id, n)
           WHERE l.id = v.id AND l.status = 'live' AND (l.viewers <> v.n OR v.n > l.peak_viewers)""",
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
