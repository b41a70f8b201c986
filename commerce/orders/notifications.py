"""The buyer hears of every change of their order, and the seller of every new paid order (notifications
pushed live once the change commits)."""

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


async def notify_seller(conn: asyncpg.Connection, change: OrderChange) -> None:
    """Order effect: a `new_order` notification to the seller when an order is paid (a giveaway's prize, at 0,
    is the seller's own doing and is not told)."""
    if change.new_status == "paid" and change.total_amount > 0:
        await notify_after_commit(conn, change.seller_id, "new_order",
                                  f"New paid order #{change.order_id}: ₹{change.total_amount:,.2f}.",
                                  {"order_id": change.order_id, "total_amount": str(change.total_amount)})
