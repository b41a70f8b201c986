"""SQL for cart lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from server.sql import Conn, many, one


@dataclass(frozen=True, slots=True)
class Line:
    """A cart line with its product (LINES)."""

    id: int
    product_id: int
    quantity: int
    source: Literal["cart", "auction", "video", "flash_sale"]
    ref: str | None
    unit_price: Decimal | None  # fixed for an auction win; None: the product's current price
    name: str
    price: Decimal
    stock: int
    is_active: bool
    seller_id: int
    image: str | None
    pay_by: datetime | None  # an owed line (a won auction): to be paid by then, not removable


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    stock: int
    is_active: bool
    seller_id: int

LINES = """
    SELECT c.id, c.product_id, c.quantity, c.source, c.ref, c.unit_price,
           p.name, p.price, p.stock, p.is_active, p.seller_id,
           (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image,
           c.pay_by
    FROM cart_items c JOIN products p ON p.id = c.product_id
"""


async def lines(conn: Conn, buyer_id: int) -> list[Line]:
    """The buyer's cart lines with their products, oldest first."""
    return many(Line, await conn.fetch(f"{LINES} WHERE c.buyer_id = $1 ORDER BY c.id", buyer_id))


async def add(
    conn: Conn, buyer_id: int, product_id: int, quantity: int, source: str, unit_price: Decimal | None, ref: str,
    *, once: bool, held_s: float | None = None, pay_by: datetime | None = None,
) -> bool:
    """Add a line, or add to its quantity; with `once`, a line that exists is left as it is; with `held_s`, its
    stock is already taken and it is held that long; with `pay_by`, it is owed (binding). True if it changed."""
    conflict = "DO NOTHING" if once else (
        "DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity, updated_at = now()"
    )
    status: str = await conn.execute(
        f"""INSERT INTO cart_items (buyer_id, product_id, source, ref, quantity, unit_price, held_until, pay_by)
            VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7::float8), $8)
            ON CONFLICT (buyer_id, product_id, source, ref) {conflict}""",
        buyer_id, product_id, source, ref, quantity, unit_price, held_s, pay_by,
    )
    return status != "INSERT 0 0"


@dataclass(frozen=True, slots=True)
class Released:
    """A held line whose time ran out: removed, its stock given back."""

    ref: str
    product_id: int
    quantity: int


async def release_expired(conn: Conn, limit: int) -> list[Released]:
    """Remove up to `limit` held lines past their time and give their stock back, in one statement; every
    process may run it (a line is removed once)."""
    rows = await conn.fetch(
        """WITH gone AS (
               DELETE FROM cart_items WHERE id IN (
                   SELECT id FROM cart_items WHERE held_until < now() ORDER BY held_until LIMIT $1
                   FOR UPDATE SKIP LOCKED)
               RETURNING ref, product_id, quantity),
           back AS (UPDATE products p SET stock = p.stock + g.units, updated_at = now()
                    FROM (SELECT product_id, sum(quantity) AS units FROM gone GROUP BY product_id) g
                    WHERE p.id = g.product_id)
           SELECT ref, product_id, quantity FROM gone""",
        limit,
    )
    return many(Released, rows)


async def quantity_in_cart(conn: Conn, buyer_id: int, product_id: int) -> int:
    """Units of the product across all of the buyer's lines."""
    total: int = await conn.fetchval(
        "SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE buyer_id = $1 AND product_id = $2",
        buyer_id, product_id,
    )
    return total


async def set_quantity(conn: Conn, buyer_id: int, product_id: int, quantity: int) -> bool:
    """Set the buyer's own ('cart') line of the product; False if there is none."""
    status: str = await conn.execute(
        """UPDATE cart_items SET quantity = $3, updated_at = now()
           WHERE buyer_id = $1 AND product_id = $2 AND source = 'cart' AND ref = ''""",
        buyer_id, product_id, quantity,
    )
    return status != "UPDATE 0"


@dataclass(frozen=True, slots=True)
class Removed:
    removed: int
    owed: int  # owed lines among those asked for: then nothing is removed


# Removing lines gives back the stock of held ones (taken when they were claimed), in the same statement. An owed
# line (a won auction) is never removed by its buyer: if one is among the lines asked for, none is.
_REMOVE = """
    WITH asked AS (SELECT id, pay_by FROM cart_items WHERE {where}),
         gone AS (DELETE FROM cart_items WHERE id IN (SELECT id FROM asked)
                  AND NOT EXISTS (SELECT 1 FROM asked WHERE pay_by IS NOT NULL)
                  RETURNING product_id, quantity, held_until),
         back AS (UPDATE products p SET stock = p.stock + g.units, updated_at = now()
                  FROM (SELECT product_id, sum(quantity) AS units FROM gone WHERE held_until IS NOT NULL
                        GROUP BY product_id) g
                  WHERE p.id = g.product_id)
    SELECT (SELECT count(*) FROM gone) AS removed, (SELECT count(*) FROM asked WHERE pay_by IS NOT NULL) AS owed
"""


async def remove(conn: Conn, buyer_id: int, product_id: int, source: str | None) -> Removed:
    """Remove the product's lines (of one source, or all)."""
    where = "buyer_id = $1 AND product_id = $2 AND ($3::text IS NULL OR source = $3)"
    return Removed(**await conn.fetchrow(_REMOVE.format(where=where), buyer_id, product_id, source))


async def remove_line(conn: Conn, buyer_id: int, line_id: int) -> Removed:
    """Remove one cart line by its id, if it is the buyer's."""
    return Removed(**await conn.fetchrow(_REMOVE.format(where="id = $1 AND buyer_id = $2"), line_id, buyer_id))


async def product_for_cart(conn: Conn, product_id: int) -> Product | None:
    return one(Product, await conn.fetchrow("SELECT id, stock, is_active, seller_id FROM products WHERE id = $1",
                                            product_id))
