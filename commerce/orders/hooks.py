"""What happens when an order changes: one list of effects, each run inside the change's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from server.config import Config


@dataclass(frozen=True)
class OrderChange:
    """An order placed (old_status None) or moved from one status to another."""

    order_id: int
    buyer_id: int
    seller_id: int
    old_status: str | None
    new_status: str
    note: str
    total_amount: Decimal


OrderEffect = Callable[[asyncpg.Connection, OrderChange, Config], Awaitable[None]]


def effects() -> tuple[OrderEffect, ...]:
    """Every effect of an order change, in order. Each runs in the same transaction as the change,
    so it happens exactly when the change commits and never without it.

    """
    # Imported here: these packages build on orders, so orders cannot import them at load time.
    from commerce.earnings.effects import record_earnings
    from commerce.invoices.service import number_paid_order
    from commerce.mail.effects import order_mail
    from commerce.orders.notifications import notify_buyer
    from commerce.payments.effects import refund_when_paid_order_cancelled

    return (record_earnings, number_paid_order, refund_when_paid_order_cancelled, order_mail, notify_buyer)


async def run(conn: asyncpg.Connection, change: OrderChange, config: Config) -> None:
    """Apply every effect of the change."""
    for effect in effects():
        await effect(conn, change, config)
