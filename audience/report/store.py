"""SQL of the post-show report: what a show sold (its auctions' and flash sales' items in paid orders), its
viewer samples, and its counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from server.sql import Conn, many, one

PAID = "('paid', 'shipped', 'delivered')"
# The order items a show sold: those of its auctions and of its flash sales' claims, in paid orders.
SOLD = f"""
    WITH refs AS (
        SELECT 'bidding:' || id AS ref FROM biddings WHERE livestream_id = $1
        UNION ALL
        SELECT 'flash:' || c.id FROM flash_claims c JOIN flash_sales f ON f.id = c.flash_sale_id
        WHERE f.livestream_id = $1),
    sold AS (
        SELECT oi.quantity, oi.unit_price, oi.ref, o.buyer_id, o.paid_at
        FROM refs r JOIN order_items oi ON oi.ref = r.ref JOIN orders o ON o.id = oi.order_id
        WHERE o.status IN {PAID})
"""


@dataclass(frozen=True, slots=True)
class ShowFigures:
    id: int
    seller_id: int
    title: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: int
    peak_viewers: int
    unique_viewers: int
    reactions: int
    chat_messages: int
    items_sold: int
    gross: Decimal
    unique_buyers: int


async def figures(conn: Conn, stream_id: int) -> ShowFigures | None:
    return one(ShowFigures, await conn.fetchrow(
        f"""{SOLD}
            SELECT l.id, l.seller_id, l.title, l.status, l.started_at, l.ended_at,
                   COALESCE(EXTRACT(EPOCH FROM COALESCE(l.ended_at, now()) - l.started_at), 0)::int AS duration_s,
                   l.peak_viewers, l.unique_viewers, l.reactions_count AS reactions,
                   (SELECT count(*) FROM chat_messages c WHERE c.livestream_id = l.id AND c.deleted_at IS NULL)
                       AS chat_messages,
                   (SELECT COALESCE(sum(quantity), 0) FROM sold) AS items_sold,
                   (SELECT COALESCE(sum(unit_price * quantity), 0) FROM sold) AS gross,
                   (SELECT count(DISTINCT buyer_id) FROM sold) AS unique_buyers
            FROM livestreams l WHERE l.id = $1""", stream_id))


@dataclass(frozen=True, slots=True)
class Auction:
    id: int
    product: str
    status: str
    winner: str | None
    amount: Decimal | None
    bids: int


async def auctions(conn: Conn, stream_id: int) -> list[Auction]:
    return many(Auction, await conn.fetch(
        """SELECT b.id, p.name AS product, b.status, u.username AS winner, b.winning_amount AS amount,
                  b.bids_count AS bids
           FROM biddings b JOIN products p ON p.id = b.product_id LEFT JOIN users u ON u.id = b.winner_id
           WHERE b.livestream_id = $1 ORDER BY b.position, b.id""", stream_id))


@dataclass(frozen=True, slots=True)
class FlashSale:
    id: int
    product: str
    price: Decimal
    quantity: int
    claimed: int
    sold: int


async def flash_sales(conn: Conn, stream_id: int) -> list[FlashSale]:
    return many(FlashSale, await conn.fetch(
        f"""SELECT f.id, p.name AS product, f.price, f.quantity,
                   (SELECT COALESCE(sum(c.quantity), 0) FROM flash_claims c
                    WHERE c.flash_sale_id = f.id AND c.released_at IS NULL) AS claimed,
                   (SELECT COALESCE(sum(oi.quantity), 0) FROM flash_claims c
                    JOIN order_items oi ON oi.ref = 'flash:' || c.id JOIN orders o ON o.id = oi.order_id
                    WHERE c.flash_sale_id = f.id AND o.status IN {PAID}) AS sold
            FROM flash_sales f JOIN products p ON p.id = f.product_id
            WHERE f.livestream_id = $1 ORDER BY f.id""", stream_id))


async def viewers_timeline(conn: Conn, stream_id: int) -> list[tuple[datetime, int]]:
    rows = await conn.fetch("SELECT at, viewers FROM show_samples WHERE livestream_id = $1 ORDER BY at", stream_id)
    return [(r["at"], r["viewers"]) for r in rows]


async def sales_timeline(conn: Conn, stream_id: int) -> list[tuple[datetime, Decimal]]:
    """What the show sold, paid per minute."""
    rows = await conn.fetch(f"""{SOLD} SELECT date_trunc('minute', paid_at) AS at, sum(unit_price * quantity) AS amount
                                FROM sold GROUP BY 1 ORDER BY 1""", stream_id)
    return [(r["at"], r["amount"]) for r in rows]


async def live_shows(conn: Conn) -> list[int]:
    return [int(r["id"]) for r in await conn.fetch("SELECT id FROM livestreams WHERE status = 'live'")]


async def sample(conn: Conn, stream_id: int, viewers: int, unique_viewers: int) -> None:
    """One sample of a live show's viewers, and its distinct signed-in viewers so far."""
    await conn.execute("INSERT INTO show_samples (livestream_id, viewers) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       stream_id, viewers)
    await conn.execute("UPDATE livestreams SET unique_viewers = GREATEST(unique_viewers, $2) WHERE id = $1",
                       stream_id, unique_viewers)


async def last_ended(conn: Conn, seller_id: int) -> int | None:
    """The seller's show that ended last."""
    found: int | None = await conn.fetchval(
        """SELECT id FROM livestreams WHERE seller_id = $1 AND status = 'ended'
           ORDER BY ended_at DESC NULLS LAST, id DESC LIMIT 1""", seller_id)
    return found
