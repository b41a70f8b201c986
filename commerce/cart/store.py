"""SQL for cart lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from server.sql import Conn, many, one


@dataclass(frozen=True, slots=True)
class Line:
    """A cart line with its product (LINES)."""

    id: int
    product_id: int
    quantity: int
    source: Literal["cart", "auction", "video"]
    ref: str | None
    unit_price: Decimal | None  # fixed for an auction win; None: the product's current price
    name: str
    price: Decimal
    stock: int
    is_active: bool
    seller_id: int
    image: str | None


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    stock: int
    is_active: bool
    seller_id: int

LINES = """
    SELECT c.id, c.product_id, c.quantity, c.source, c.ref, c.unit_price,
           p.name, p.price, p.stock, p.is_active, p.seller_id,
           (SELECT i.path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) AS image
    FROM cart_items c JOIN products p ON p.id = c.product_id
"""


async def lines(conn: Conn, buyer_id: int) -> list[Line]:
    """The buyer's cart lines with their products, oldest first."""
    return many(Line, await conn.fetch(f"{LINES} WHERE c.buyer_id = $1 ORDER BY c.id", buyer_id))


async def add(
    conn: Conn, buyer_id: int, product_id: int, quantity: int, source: str, unit_price: Decimal | None, ref: str,
    *, once: bool,
) -> bool:
    """Add a line, or add to its quantity; with `once`, a line that exists is left as it is. True if it changed."""
    conflict = "DO NOTHING" if once else (
        "DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity, updated_at = now()"
    )
    status: str = await conn.execute(
        f"""INSERT INTO cart_items (buyer_id, product_id, source, ref, quantity, unit_price)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (buyer_id, product_id, source, ref) {conflict}""",
        buyer_id, product_id, source, ref, quantity, unit_price,
    )
    return status != "INSERT 0 0"


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


async def remove(conn: Conn, buyer_id: int, product_id: int, source: str | None) -> int:
    """Remove the product's lines (of one source, or all); returns how many."""
    status: str = await conn.execute(
        "DELETE FROM cart_items WHERE buyer_id = $1 AND product_id = $2 AND ($3::text IS NULL OR source = $3)",
        buyer_id, product_id, source,
    )
    return int(status.split()[-1])


async def remove_line(conn: Conn, buyer_id: int, line_id: int) -> bool:
    """Remove one cart line by its id, if it is the buyer's."""
    status: str = await conn.execute("DELETE FROM cart_items WHERE id = $1 AND buyer_id = $2", line_id, buyer_id)
    return status != "DELETE 0"


async def product_for_cart(conn: Conn, product_id: int) -> Product | None:
    return one(Product, await conn.fetchrow("SELECT id, stock, is_active, seller_id FROM products WHERE id = $1",
                                            product_id))
