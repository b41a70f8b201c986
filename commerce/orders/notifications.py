"""The buyer hears of every change of their order (a notification pushed live once it commits)."""

from __future__ import annotations

import asyncpg

from commerce.orders.hooks import OrderChange
from rooms.notifications.service import notify_after_commit

TEXTS = {
    "paid": "Payment received for order #{id}.",
    "shipped": "Order #{id} is on its way.",
    "delivered": "Order #{id} was delivered.",
    "cancelled": "Order #{id} was cancelled.",
}


async def notify_buyer(conn: asyncpg.Connection, change: OrderChange) -> None:
    """Order effect: an `order_status` notification to the buyer (not for placing: they just did)."""
    text = TEXTS.get(change.new_status)
    if text is not None:
        await notify_after_commit(conn, change.buyer_id, "order_status", text.format(id=change.order_id),
                                  {"order_id": change.order_id, "status": change.new_status, "note": change.note})
