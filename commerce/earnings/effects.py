"""Earnings effects of order changes."""

from __future__ import annotations

import asyncpg

from commerce.earnings import store
from commerce.earnings.rules import split_sale
from commerce.orders.hooks import OrderChange
from server.config import CommerceConfig


async def record_earnings(conn: asyncpg.Connection, change: OrderChange, *, commerce: CommerceConfig) -> None:
    """A paid order earns its seller the total less commission (held a while); a refund takes it back."""
    if change.new_status == "paid":
        split = split_sale(change.total_amount, commerce.commission_bps)
        await store.add_sale(conn, change.seller_id, change.order_id, split, commerce.earnings_hold_s)
    elif change.old_status == "paid" and change.new_status == "cancelled":
        await store.reverse_sale(conn, change.order_id)
