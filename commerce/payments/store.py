"""SQL for payments and webhook deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import asyncpg

from server.sql import Conn, one


@dataclass(frozen=True, slots=True)
class Payment:
    """A Razorpay order we made: for an order, or for credits."""

    id: int
    purpose: Literal["order", "credits"]
    user_id: int
    order_id: int | None
    credits: int | None
    razorpay_order_id: str
    razorpay_payment_id: str | None
    amount_paise: int
    currency: str
    status: str  # created | captured | failed | refund_pending | refunded
    refund_id: str | None

    # The table's CHECKs set order_id exactly for purpose 'order' and credits exactly for 'credits'; a
    # payment that reached refund_pending or refunded was captured, so it has its Razorpay payment id.
    @property
    def order(self) -> int:
        if self.order_id is None:
            raise ValueError(f"payment {self.id} is for credits, not an order")
        return self.order_id

    @property
    def bought(self) -> int:
        if self.credits is None:
            raise ValueError(f"payment {self.id} is for an order, not credits")
        return self.credits

    @property
    def captured_id(self) -> str:
        if self.razorpay_payment_id is None:
            raise ValueError(f"payment {self.id} was never captured")
        return self.razorpay_payment_id

_COLUMNS = """id, purpose, user_id, order_id, credits, razorpay_order_id, razorpay_payment_id, amount_paise,
              currency, status, refund_id"""


async def insert_payment(
    conn: Conn, *, purpose: str, user_id: int, order_id: int | None, credits: int | None, razorpay_order_id: str,
    amount_paise: int,
) -> Payment:
    """Record a Razorpay order; UniqueViolation if the order already has one."""
    row = await conn.fetchrow(
        f"""INSERT INTO payments (purpose, user_id, order_id, credits, razorpay_order_id, amount_paise)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}""",
        purpose, user_id, order_id, credits, razorpay_order_id, amount_paise,
    )
    return Payment(**row)


async def payment_for_order(conn: Conn, order_id: int) -> Payment | None:
    return one(Payment, await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM payments WHERE purpose = 'order' AND order_id = $1", order_id))


async def lock_payment(conn: asyncpg.Connection, razorpay_order_id: str) -> Payment | None:
    """The payment of a Razorpay order, locked until the transaction ends."""
    return one(Payment, await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM payments WHERE razorpay_order_id = $1 FOR UPDATE", razorpay_order_id
    ))


async def mark_captured(conn: asyncpg.Connection, payment_id: int, razorpay_payment_id: str) -> None:
    await conn.execute(
        """UPDATE payments SET status = 'captured', razorpay_payment_id = $2, captured_at = now(), updated_at = now(),
                  failure_reason = NULL
           WHERE id = $1""",
        payment_id, razorpay_payment_id,
    )


async def mark_failed(conn: asyncpg.Connection, razorpay_order_id: str, razorpay_payment_id: str | None,
                      reason: str) -> bool:
    """A failed attempt, with the Razorpay payment that failed: only a payment not captured yet can fail (a
    later retry may still succeed, and its capture replaces the id)."""
    status: str = await conn.execute(
        """UPDATE payments SET status = 'failed', failure_reason = $3, updated_at = now(),
                  razorpay_payment_id = COALESCE($2, razorpay_payment_id)
           WHERE razorpay_order_id = $1 AND status IN ('created', 'failed')""",
        razorpay_order_id, razorpay_payment_id, reason,
    )
    return status != "UPDATE 0"


async def request_refund(conn: asyncpg.Connection, order_id: int) -> bool:
    """Mark an order's captured payment for refund; the refund sweeper asks Razorpay."""
    status: str = await conn.execute(
        """UPDATE payments SET status = 'refund_pending', updated_at = now()
           WHERE purpose = 'order' AND order_id = $1 AND status = 'captured'""",
        order_id,
    )
    return status != "UPDATE 0"


async def mark_refund_pending(conn: asyncpg.Connection, payment_id: int) -> None:
    await conn.execute("UPDATE payments SET status = 'refund_pending', updated_at = now() WHERE id = $1", payment_id)


async def claim_refund(conn: Conn, hold_s: int = 60) -> Payment | None:
    """Take one due refund for this process for hold_s seconds; None when there is nothing to do."""
    return one(Payment, await conn.fetchrow(
        f"""UPDATE payments SET refund_claimed_until = now() + make_interval(secs => $1)
            WHERE id = (SELECT id FROM payments
                        WHERE status = 'refund_pending' AND refund_id IS NULL
                          AND (refund_claimed_until IS NULL OR refund_claimed_until < now())
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        hold_s,
    ))


async def set_refund_id(conn: Conn, payment_id: int, refund_id: str) -> None:
    await conn.execute("UPDATE payments SET refund_id = $2, updated_at = now() WHERE id = $1", payment_id, refund_id)


async def mark_refunded(conn: Conn, razorpay_payment_id: str, refund_id: str) -> bool:
    status: str = await conn.execute(
        """UPDATE payments SET status = 'refunded', refund_id = COALESCE(refund_id, $2), updated_at = now()
           WHERE razorpay_payment_id = $1 AND status IN ('refund_pending', 'captured')""",
        razorpay_payment_id, refund_id,
    )
    return status != "UPDATE 0"


async def record_webhook(conn: asyncpg.Connection, event_id: str, event: str) -> bool:
    """Remember a delivery; False if it was seen before (then it must change nothing)."""
    inserted = await conn.fetchval(
        "INSERT INTO webhook_events (event_id, event) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1",
        event_id, event,
    )
    return inserted is not None
