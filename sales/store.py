"""SQL of flash sales: the sale row locked for a claim, the units taken from the sale and the product at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import asyncpg

from server.sql import Conn, many, one

COLUMNS = """f.id, f.livestream_id, f.seller_id, f.product_id, f.price, f.original_price, f.quantity, f.remaining,
             f.per_buyer_limit, f.status, f.ends_at, f.version, p.name AS product_name,
             (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image"""
FROM = "FROM flash_sales f JOIN products p ON p.id = f.product_id"


@dataclass(frozen=True, slots=True)
class Sale:
    """A flash sale with its product's name and picture (COLUMNS)."""

    id: int
    livestream_id: int
    seller_id: int
    product_id: int
    price: Decimal
    original_price: Decimal
    quantity: int
    remaining: int
    per_buyer_limit: int | None
    status: str
    ends_at: datetime
    version: int
    product_name: str
    image: str | None


@dataclass(frozen=True, slots=True)
class LockedSale(Sale):
    """A sale row locked for a decision, with the database's clock and its show's status."""

    now: datetime
    stream_status: str


async def insert(conn: Conn, stream_id: int, seller_id: int, product_id: int, price: Decimal,
                 original_price: Decimal, quantity: int, per_buyer_limit: int | None, duration_s: int) -> int:
    sale_id: int = await conn.fetchval(
        """INSERT INTO flash_sales (livestream_id, seller_id, product_id, price, original_price, quantity, remaining,
                                    per_buyer_limit, ends_at)
           VALUES ($1, $2, $3, $4, $5, $6, $6, $7, now() + make_interval(secs => $8)) RETURNING id""",
        stream_id, seller_id, product_id, price, original_price, quantity, per_buyer_limit, duration_s,
    )
    return sale_id


async def fetch(conn: Conn, sale_id: int) -> Sale | None:
    return one(Sale, await conn.fetchrow(f"SELECT {COLUMNS} {FROM} WHERE f.id = $1", sale_id))


async def of_stream(conn: Conn, stream_id: int, open_only: bool = False) -> list[Sale]:
    """A show's sales, newest first (only the open ones, if asked)."""
    return many(Sale, await conn.fetch(
        f"SELECT {COLUMNS} {FROM} WHERE f.livestream_id = $1 AND (NOT $2 OR f.status = 'open') ORDER BY f.id DESC",
        stream_id, open_only))


async def available(conn: Conn, sale_id: int) -> int | None:
    """Units an open sale still has, read without a lock; -1 once it has ended, None if there is no such sale."""
    left: int | None = await conn.fetchval(
        "SELECT CASE WHEN status = 'open' AND ends_at > now() THEN remaining ELSE -1 END FROM flash_sales "
        "WHERE id = $1", sale_id)
    return left


async def lock(conn: asyncpg.Connection, sale_id: int) -> LockedSale | None:
    """The sale row locked until the transaction ends: every claim of a sale waits here for the one before."""
    return one(LockedSale, await conn.fetchrow(
        f"""SELECT {COLUMNS}, now() AS now, l.status AS stream_status
            {FROM} JOIN livestreams l ON l.id = f.livestream_id WHERE f.id = $1 FOR UPDATE OF f""",
        sale_id,
    ))


async def claimed_by(conn: asyncpg.Connection, sale_id: int, buyer_id: int) -> int:
    """Units the buyer holds of the sale (claims not released)."""
    held: int = await conn.fetchval(
        """SELECT COALESCE(sum(quantity), 0) FROM flash_claims
           WHERE flash_sale_id = $1 AND buyer_id = $2 AND released_at IS NULL""",
        sale_id, buyer_id,
    )
    return held


async def take_product_stock(conn: asyncpg.Connection, product_id: int, quantity: int) -> bool:
    """Take units from the product's stock in one conditional statement; False if it has too few."""
    status: str = await conn.execute(
        "UPDATE products SET stock = stock - $2, updated_at = now() WHERE id = $1 AND is_active AND stock >= $2",
        product_id, quantity,
    )
    return status != "UPDATE 0"


async def give_back_stock(conn: asyncpg.Connection, product_id: int, quantity: int) -> None:
    await conn.execute("UPDATE products SET stock = stock + $2, updated_at = now() WHERE id = $1",
                       product_id, quantity)


async def take(conn: asyncpg.Connection, sale_id: int, buyer_id: int, quantity: int) -> tuple[int, int, int]:
    """On the locked row: the units leave the sale, a claim is recorded; (claim id, remaining, version)."""
    row = await conn.fetchrow(
        """WITH sale AS (UPDATE flash_sales SET remaining = remaining - $3, version = version + 1
                         WHERE id = $1 RETURNING remaining, version),
                claim AS (INSERT INTO flash_claims (flash_sale_id, buyer_id, quantity) VALUES ($1, $2, $3)
                          RETURNING id)
           SELECT claim.id, sale.remaining, sale.version FROM sale, claim""",
        sale_id, buyer_id, quantity,
    )
    return int(row["id"]), int(row["remaining"]), int(row["version"])


async def end(conn: asyncpg.Connection, sale_id: int) -> int:
    """On the locked row: open -> ended; its new version."""
    version: int = await conn.fetchval(
        "UPDATE flash_sales SET status = 'ended', ended_at = now(), version = version + 1 WHERE id = $1 "
        "RETURNING version", sale_id)
    return version


async def due(conn: Conn) -> list[int]:
    rows = await conn.fetch("SELECT id FROM flash_sales WHERE status = 'open' AND ends_at <= now() ORDER BY ends_at")
    return [int(r["id"]) for r in rows]


async def release(conn: asyncpg.Connection, claim_id: int) -> int | None:
    """A claim whose cart line ran out of time: mark it released and give its units back to the sale; the
    sale's id, or None if the claim was released already."""
    sale_id: int | None = await conn.fetchval(
        """WITH claim AS (UPDATE flash_claims SET released_at = now() WHERE id = $1 AND released_at IS NULL
                          RETURNING flash_sale_id, quantity)
           UPDATE flash_sales f SET remaining = f.remaining + claim.quantity, version = f.version + 1
           FROM claim WHERE f.id = claim.flash_sale_id RETURNING f.id""",
        claim_id,
    )
    return sale_id
