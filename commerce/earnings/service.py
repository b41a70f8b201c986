"""Earnings and withdrawal use cases."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

import asyncpg

from commerce.earnings import store
from commerce.earnings.schemas import EarningsOut, EntryOut, WithdrawalOut
from commerce.earnings.store import Withdrawal
from commerce.mail.effects import withdrawal_decided
from rooms.notifications.service import notify_after_commit
from server.config import CommerceConfig
from server.errors import Conflict, InvalidInput, NotFound
from server.money import wire_number
from server.tokens import Principal

ENTRIES_SHOWN = 100


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


@dataclass
class Earnings:
    pool: asyncpg.Pool
    config: CommerceConfig

    async def summary(self, seller_id: int) -> EarningsOut:
        """Totals and the latest entries of a seller."""
        balance = await store.balance(self.pool, seller_id)
        rows = await store.entries(self.pool, seller_id, ENTRIES_SHOWN)
        return EarningsOut(
            total=balance.total, available=balance.available, withdrawn=balance.withdrawn, pending=balance.pending,
            requested=balance.requested, entries=[EntryOut(**asdict(r)) for r in rows],
        )

    async def request_withdrawal(self, seller_id: int, amount: Decimal) -> WithdrawalOut:
        """Ask for a payout; never more than available, however many requests arrive at once.

        The seller's row lock serializes the check and the insert, so two requests cannot both
        spend the same balance.
        """
        minimum = self.config.min_withdrawal
        if amount < minimum:
            raise InvalidInput(f"The smallest withdrawal is {minimum}.", fields={"amount": [f"At least {minimum}."]})
        async with self.pool.acquire() as conn, conn.transaction():
            await store.lock_seller(conn, seller_id)
            available = (await store.balance(conn, seller_id)).available
            if amount > available:
                raise InsufficientBalance(f"Only {available} is available to withdraw.",
                                          extra={"available": wire_number(available)})
            row = await store.insert_withdrawal(conn, seller_id, amount)
        return withdrawal_out(row)

    async def withdrawals(self, seller_id: int | None, status: str | None, limit: int,
                          offset: int) -> tuple[int, list[WithdrawalOut]]:
        count, rows = await store.list_withdrawals(self.pool, seller_id, status, limit, offset)
        return count, [withdrawal_out(r) for r in rows]

    async def decide(self, admin: Principal, withdrawal_id: int, approve: bool, note: str) -> WithdrawalOut:
        """An admin approves (paid out) or rejects (the amount is available again) a request, once."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.decide(conn, withdrawal_id, "approved" if approve else "rejected", note, admin.user_id)
            if row is None:
                existing = await store.fetch_withdrawal(conn, withdrawal_id)
                if existing is None:
                    raise NotFound(f"No withdrawal with id {withdrawal_id}.", code="withdrawal_not_found")
                raise Conflict(f"This withdrawal was already {existing.status}.", code="already_decided")
            await withdrawal_decided(conn, row.seller_id, row.id, row.amount, row.status, row.note, self.config)
            await notify_after_commit(conn, row.seller_id, "withdrawal_decided",
                                      f"Your withdrawal #{row.id} was {row.status}.",
                                      {"withdrawal_id": row.id, "status": row.status, "note": row.note},
                                      admin.user_id)
        return withdrawal_out(row)


def withdrawal_out(row: Withdrawal) -> WithdrawalOut:
    return WithdrawalOut(id=row.id, seller=row.seller_id, amount=row.amount, status=row.status,
                         note=row.note, decided_at=row.decided_at, created_at=row.created_at)
