"""SQL for earnings entries and withdrawals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import asyncpg

from commerce.earnings.rules import Balance, Split
from server.sql import Conn, many, one


@dataclass(frozen=True, slots=True)
class Entry:
    """A sale's earning, or its reversal when refunded."""

    id: int
    order_id: int
    kind: Literal["sale", "refund"]
    gross: Decimal
    commission: Decimal
    net: Decimal
    available_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Withdrawal:
    id: int
    seller_id: int
    amount: Decimal
    status: Literal["requested", "approved", "rejected"]
    note: str
    decided_by: int | None
    decided_at: datetime | None
    created_at: datetime

WITHDRAWAL = "id, seller_id, amount, status, note, decided_by, decided_at, created_at"


async def add_sale(conn: Conn, seller_id: int, order_id: int, split: Split, hold_s: int) -> None:
    """The earning of a paid order, once (a second payment path finds it there)."""
    await conn.execute(
        """INSERT INTO earnings (seller_id, order_id, kind, gross, commission, net, available_at)
           VALUES ($1, $2, 'sale', $3, $4, $5, now() + make_interval(secs => $6))
           ON CONFLICT (order_id, kind) DO NOTHING""",
        seller_id, order_id, split.gross, split.commission, split.net, hold_s,
    )


async def reverse_sale(conn: Conn, order_id: int) -> None:
    """A refunded order's earning taken back, once, under the sale's own hold."""
    await conn.execute(
        """INSERT INTO earnings (seller_id, order_id, kind, gross, commission, net, available_at)
           SELECT seller_id, order_id, 'refund', -gross, -commission, -net, available_at
           FROM earnings WHERE order_id = $1 AND kind = 'sale'
           ON CONFLICT (order_id, kind) DO NOTHING""",
        order_id,
    )


async def balance(conn: Conn, seller_id: int) -> Balance:
    row = await conn.fetchrow(
        """SELECT
             (SELECT COALESCE(SUM(net), 0) FROM earnings WHERE seller_id = $1) AS total,
             (SELECT COALESCE(SUM(net), 0) FROM earnings WHERE seller_id = $1 AND available_at > now()) AS pending,
             (SELECT COALESCE(SUM(amount), 0) FROM withdrawals WHERE seller_id = $1 AND status = 'approved')
                 AS withdrawn,
             (SELECT COALESCE(SUM(amount), 0) FROM withdrawals WHERE seller_id = $1 AND status = 'requested')
                 AS requested""",
        seller_id,
    )
    return Balance(row["total"], row["pending"], row["withdrawn"], row["requested"])


async def entries(conn: Conn, seller_id: int, limit: int) -> list[Entry]:
    rows = await conn.fetch(
        """SELECT id, order_id, kind, gross, commission, net, available_at, created_at FROM earnings
           WHERE seller_id = $1 ORDER BY id DESC LIMIT $2""",
        seller_id, limit,
    )
    return many(Entry, rows)


async def lock_seller(conn: asyncpg.Connection, seller_id: int) -> None:
    """Serialize one seller's withdrawal requests for the rest of the transaction."""
    await conn.execute("SELECT 1 FROM sellers WHERE user_id = $1 FOR UPDATE", seller_id)


async def insert_withdrawal(conn: asyncpg.Connection, seller_id: int, amount: Decimal) -> Withdrawal:
    row = await conn.fetchrow(
        f"INSERT INTO withdrawals (seller_id, amount) VALUES ($1, $2) RETURNING {WITHDRAWAL}", seller_id, amount
    )
    return Withdrawal(**row)


async def decide(conn: Conn, withdrawal_id: int, status: str, note: str, admin_id: int) -> Withdrawal | None:
    """Approve or reject a withdrawal still requested; None if it is not (any more)."""
    return one(Withdrawal, await conn.fetchrow(
        f"""UPDATE withdrawals SET status = $2, note = $3, decided_by = $4, decided_at = now()
            WHERE id = $1 AND status = 'requested' RETURNING {WITHDRAWAL}""",
        withdrawal_id, status, note, admin_id,
    ))


async def fetch_withdrawal(conn: Conn, withdrawal_id: int) -> Withdrawal | None:
    return one(Withdrawal, await conn.fetchrow(f"SELECT {WITHDRAWAL} FROM withdrawals WHERE id = $1", withdrawal_id))


async def list_withdrawals(conn: Conn, seller_id: int | None, status: str | None, limit: int,
                           offset: int) -> tuple[int, list[Withdrawal]]:
    where = "($1::bigint IS NULL OR seller_id = $1) AND ($2::text IS NULL OR status = $2)"
    count: int = await conn.fetchval(f"SELECT count(*) FROM withdrawals WHERE {where}", seller_id, status)
    rows = await conn.fetch(
        f"SELECT {WITHDRAWAL} FROM withdrawals WHERE {where} ORDER BY id DESC LIMIT $3 OFFSET $4",
        seller_id, status, limit, offset,
    )
    return count, many(Withdrawal, rows)
