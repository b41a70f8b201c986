"""The seller credit ledger: every change of a balance is one ledger row, applied once per cause."""

from __future__ import annotations

import asyncpg

from server.errors import Conflict


class InsufficientCredits(Conflict):
    code = "insufficient_credits"


async def apply_credits(conn: asyncpg.Connection, seller_id: int, delta: int, reason: str, ref: str) -> bool:
    """Record `delta` credits for (reason, ref) and move the balance, in the caller's transaction.

    Returns False when that (seller, reason, ref) was applied before: retries and races change
    nothing. A charge the balance cannot cover raises InsufficientCredits (the CHECK decides).
    """
    if not conn.is_in_transaction():
        raise RuntimeError("apply_credits must run inside a transaction")
    ledger_id = await conn.fetchval(
        """INSERT INTO credit_ledger (seller_id, delta, reason, ref) VALUES ($1, $2, $3, $4)
           ON CONFLICT (seller_id, reason, ref) DO NOTHING RETURNING id""",
        seller_id,
        delta,
        reason,
        ref,
    )
    if ledger_id is None:
        return False
    try:
        await conn.execute("UPDATE sellers SET credits = credits + $2 WHERE user_id = $1", seller_id, delta)
    except asyncpg.CheckViolationError:
        raise InsufficientCredits(f"This needs {-delta} credit(s) and the balance is lower.") from None
    return True


async def balance(conn: asyncpg.Connection | asyncpg.Pool, seller_id: int) -> int:
    """A seller's credits as kept beside the ledger."""
    return int(await conn.fetchval("SELECT credits FROM sellers WHERE user_id = $1", seller_id) or 0)


async def ledger_balance(conn: asyncpg.Connection | asyncpg.Pool, seller_id: int) -> int:
    """The sum of the seller's ledger; equal to sellers.credits at every commit."""
    return int(await conn.fetchval("SELECT COALESCE(SUM(delta), 0) FROM credit_ledger WHERE seller_id = $1", seller_id))
