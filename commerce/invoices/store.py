"""SQL for invoice numbers and the data an invoice shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from server.sql import Conn, one


async def assign_number(conn: asyncpg.Connection, order_id: int) -> str | None:
    """Give a paid order the year's next invoice number, in the payment's transaction; once per order.

    The counter row is locked until that transaction ends, so numbers are sequential and, because a
    rolled-back payment rolls back its increment too, without gaps.
    """
    if await conn.fetchval("SELECT 1 FROM invoices WHERE order_id = $1", order_id):
        return None
    year: int = await conn.fetchval("SELECT EXTRACT(YEAR FROM now() AT TIME ZONE 'UTC')::int")
    seq: int = await conn.fetchval(
        """INSERT INTO invoice_counters (year, last) VALUES ($1, 1)
           ON CONFLICT (year) DO UPDATE SET last = invoice_counters.last + 1 RETURNING last""",
        year,
    )
    number = f"INV-{year}-{seq:06d}"
    await conn.execute(
        "INSERT INTO invoices (order_id, number, year, seq) VALUES ($1, $2, $3, $4)", order_id, number, year, seq
    )
    return number


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """What an invoice shows: its number and the order's parties."""

    number: str
    issued_at: datetime
    order_id: int
    total_amount: Decimal
    shipping_address: Any
    created_at: datetime
    buyer_name: str
    buyer_email: str
    business_name: str
    gstin: str | None
    seller_email: str


async def invoice_data(conn: Conn, order_id: int) -> InvoiceRow | None:
    """The invoice's number and parties, or None if the order has no invoice."""
    return one(InvoiceRow, await conn.fetchrow(
        """SELECT i.number, i.issued_at, o.id AS order_id, o.total_amount, o.shipping_address, o.created_at,
                  bu.username AS buyer_name, bu.email AS buyer_email, s.business_name, s.gstin,
                  su.email AS seller_email
           FROM invoices i JOIN orders o ON o.id = i.order_id JOIN users bu ON bu.id = o.buyer_id
                JOIN sellers s ON s.user_id = o.seller_id JOIN users su ON su.id = o.seller_id
           WHERE i.order_id = $1""",
        order_id,
    ))
