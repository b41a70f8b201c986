"""SQL for orders, their items and tracking events, and the stock they take and return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from commerce.orders.rules import Status
from server.sql import Conn, many, one


@dataclass(frozen=True, slots=True)
class Order:
    """An order with its parties' names (ORDER)."""

    id: int
    status: Status
    buyer_id: int
    seller_id: int
    total_amount: Decimal
    shipping_address: Any  # the JSON the buyer sent: an address object or a line of text
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    pay_by: datetime | None  # the payment deadline it was placed with (None: placed before deadlines were kept)
    buyer_username: str
    seller_username: str
    seller_business_name: str


@dataclass(frozen=True, slots=True)
class OrderParties:
    """Who an order belongs to, and where it stands."""

    status: Status
    buyer_id: int
    seller_id: int


@dataclass(frozen=True, slots=True)
class Moved:
    id: int
    buyer_id: int
    seller_id: int
    total_amount: Decimal


@dataclass(frozen=True, slots=True)
class CartLine:
    """A cart line locked for checkout."""

    id: int
    product_id: int
    quantity: int
    source: str
    ref: str | None
    unit_price: Decimal | None  # fixed for an auction win; None: the product's price at checkout
    seller_id: int
    held: bool  # its stock was taken when it was claimed (a flash sale): checkout takes none


@dataclass(frozen=True, slots=True)
class Taken:
    name: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class Stock:
    name: str
    stock: int
    is_active: bool


@dataclass(frozen=True, slots=True)
class Item:
    order_id: int
    product_id: int
    name: str
    unit_price: Decimal
    quantity: int
    source: str


@dataclass(frozen=True, slots=True)
class Event:
    order_id: int
    status: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Payment:
    order_id: int
    status: str
    razorpay_order_id: str
    razorpay_payment_id: str | None
    amount_paise: int
    currency: str

ORDER = """
    SELECT o.id, o.status, o.buyer_id, o.seller_id, o.total_amount, o.shipping_address, o.created_at,
           o.updated_at, o.paid_at, o.pay_by, bu.username AS buyer_username, su.username AS seller_username,
           s.business_name AS seller_business_name
    FROM orders o JOIN users bu ON bu.id = o.buyer_id JOIN users su ON su.id = o.seller_id
         JOIN sellers s ON s.user_id = o.seller_id
"""


async def insert_order(conn: asyncpg.Connection, buyer_id: int, seller_id: int, address: Any, key: str | None,
                       pay_within_s: int) -> int:
    """A new pending order (total filled in later) that must be paid within pay_within_s; UniqueViolation if
    the idempotency key was used."""
    order_id: int = await conn.fetchval(
        """INSERT INTO orders (buyer_id, seller_id, status, total_amount, shipping_address, idempotency_key, pay_by)
           VALUES ($1, $2, 'pending_payment', 0, $3::jsonb, $4, now() + make_interval(secs => $5)) RETURNING id""",
        buyer_id, seller_id, address, key, pay_within_s,
    )
    return order_id


async def order_for_key(conn: Conn, buyer_id: int, key: str) -> int | None:
    order_id: int | None = await conn.fetchval(
        "SELECT id FROM orders WHERE buyer_id = $1 AND idempotency_key = $2", buyer_id, key
    )
    return order_id


_CHECKOUT_LOCK_CLASS = 0x4F52  # "OR": the namespace of per-buyer checkout locks


async def lock_buyer_checkout(conn: asyncpg.Connection, buyer_id: int) -> None:
    """Hold, until the transaction ends, the lock that serializes one buyer's checkouts."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, ($2 % 2147483647)::int)", _CHECKOUT_LOCK_CLASS, buyer_id)


async def lock_cart(conn: asyncpg.Connection, buyer_id: int, seller_id: int | None) -> list[CartLine]:
    """The buyer's cart lines (one seller's, if given), locked for this checkout, in product order."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT c.id, c.product_id, c.quantity, c.source, c.ref, c.unit_price, p.seller_id,
                  c.held_until IS NOT NULL AS held
           FROM cart_items c JOIN products p ON p.id = c.product_id
           WHERE c.buyer_id = $1 AND ($2::bigint IS NULL OR p.seller_id = $2)
           ORDER BY c.product_id, c.id FOR UPDATE OF c""",
        buyer_id, seller_id,
    )
    return many(CartLine, rows)


async def take_stock(conn: asyncpg.Connection, product_id: int, quantity: int) -> Taken | None:
    """Take units from an active product in one conditional statement; None if there are not enough."""
    return one(Taken, await conn.fetchrow(
        """UPDATE products SET stock = stock - $2, updated_at = now()
           WHERE id = $1 AND is_active AND stock >= $2 RETURNING name, price""",
        product_id, quantity,
    ))


async def stock_of(conn: Conn, product_id: int) -> Stock | None:
    return one(Stock, await conn.fetchrow("SELECT name, stock, is_active FROM products WHERE id = $1", product_id))


async def return_stock(conn: asyncpg.Connection, order_id: int) -> None:
    """Put an order's units back on their products."""
    await conn.execute(
        """UPDATE products p SET stock = p.stock + s.quantity, updated_at = now()
           FROM (SELECT product_id, SUM(quantity) AS quantity FROM order_items WHERE order_id = $1
                 GROUP BY product_id) s
           WHERE p.id = s.product_id""",
        order_id,
    )


async def insert_items(conn: asyncpg.Connection, order_id: int, items: list[tuple[Any, ...]]) -> None:
    """items: (product_id, name, unit_price, quantity, source, ref)."""
    await conn.executemany(
        """INSERT INTO order_items (order_id, product_id, name, unit_price, quantity, source, ref)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        [(order_id, *item) for item in items],
    )


async def set_total(conn: asyncpg.Connection, order_id: int, total: Decimal) -> None:
    await conn.execute("UPDATE orders SET total_amount = $2 WHERE id = $1", order_id, total)


async def delete_cart_lines(conn: asyncpg.Connection, line_ids: list[int]) -> None:
    await conn.execute("DELETE FROM cart_items WHERE id = ANY($1::bigint[])", line_ids)


async def add_event(conn: asyncpg.Connection, order_id: int, status: str, note: str, actor_id: int | None) -> None:
    await conn.execute(
        "INSERT INTO order_events (order_id, status, note, actor_id) VALUES ($1, $2, $3, $4)",
        order_id, status, note, actor_id,
    )


async def move(conn: asyncpg.Connection, order_id: int, current: str, target: str) -> Moved | None:
    """Move an order from `current` to `target` if it is still `current`; the row it was, or None."""
    return one(Moved, await conn.fetchrow(
        """UPDATE orders SET status = $3, updated_at = now(),
                  paid_at = CASE WHEN $3 = 'paid' THEN now() ELSE paid_at END
           WHERE id = $1 AND status = $2
           RETURNING id, buyer_id, seller_id, total_amount""",
        order_id, current, target,
    ))


async def fetch_order(conn: Conn, order_id: int) -> Order | None:
    return one(Order, await conn.fetchrow(f"{ORDER} WHERE o.id = $1", order_id))


async def fetch_status(conn: Conn, order_id: int) -> OrderParties | None:
    return one(OrderParties, await conn.fetchrow("SELECT status, buyer_id, seller_id FROM orders WHERE id = $1",
                                                 order_id))


async def fetch_items(conn: Conn, order_ids: list[int]) -> list[Item]:
    rows = await conn.fetch(
        """SELECT order_id, product_id, name, unit_price, quantity, source FROM order_items
           WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, id""",
        order_ids,
    )
    return many(Item, rows)


async def fetch_events(conn: Conn, order_ids: list[int]) -> list[Event]:
    rows = await conn.fetch(
        """SELECT order_id, status, note, created_at FROM order_events
           WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, id""",
        order_ids,
    )
    return many(Event, rows)


async def fetch_payments(conn: Conn, order_ids: list[int]) -> list[Payment]:
    """The Razorpay payment of each order that has one."""
    rows = await conn.fetch(
        """SELECT order_id, status, razorpay_order_id, razorpay_payment_id, amount_paise, currency
           FROM payments WHERE purpose = 'order' AND order_id = ANY($1::bigint[])""",
        order_ids,
    )
    return many(Payment, rows)


async def invoice_numbers(conn: Conn, order_ids: list[int]) -> dict[int, str]:
    """The invoice number of each of these orders that has one (paid orders)."""
    rows = await conn.fetch("SELECT order_id, number FROM invoices WHERE order_id = ANY($1::bigint[])", order_ids)
    return {r["order_id"]: r["number"] for r in rows}


async def list_orders(
    conn: Conn, *, buyer_id: int | None, seller_id: int | None, status: str | None, limit: int, offset: int
) -> tuple[int, list[Order]]:
    """A page of orders of a buyer, of a seller, or of everyone (both None), newest first."""
    where = """($1::bigint IS NULL OR o.buyer_id = $1) AND ($2::bigint IS NULL OR o.seller_id = $2)
               AND ($3::text IS NULL OR o.status = $3)"""
    count: int = await conn.fetchval(f"SELECT count(*) FROM orders o WHERE {where}", buyer_id, seller_id, status)
    rows = await conn.fetch(
        f"{ORDER} WHERE {where} ORDER BY o.id DESC LIMIT $4 OFFSET $5", buyer_id, seller_id, status, limit, offset
    )
    return count, many(Order, rows)


async def expired_orders(conn: Conn, older_than_s: int, limit: int = 100) -> list[int]:
    """Unpaid orders past their deadline, oldest first; an order without one (placed before deadlines were
    kept) is due older_than_s after it was placed."""
    rows = await conn.fetch(
        """SELECT id FROM orders WHERE status = 'pending_payment'
           AND pay_by < now()
           UNION
           SELECT id FROM orders WHERE status = 'pending_payment' AND pay_by IS NULL
           AND created_at < now() - make_interval(secs => $1)
           ORDER BY id LIMIT $2""",
        older_than_s, limit,
    )
    return [r["id"] for r in rows]
