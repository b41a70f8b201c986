"""Payment effects of order changes."""

from __future__ import annotations

import asyncpg

from commerce.orders.hooks import OrderChange
from commerce.payments import store


async def refund_when_paid_order_cancelled(conn: asyncpg.Connection, change: OrderChange) -> None:
    """A paid order cancelled by its seller or an admin: its payment is queued for a full refund."""
    if change.old_status == "paid" and change.new_status == "cancelled":
        await store.request_refund(conn, change.order_id)
