"""E-mails queued by events, in the event's own transaction."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from commerce.mail import store
from commerce.mail.messages import order_mail as compose_order_mail
from commerce.mail.messages import withdrawal_mail
from commerce.orders.hooks import OrderChange
from server.accounts import store as accounts_store
from server.config import CommerceConfig


async def order_mail(conn: asyncpg.Connection, change: OrderChange, *, commerce: CommerceConfig) -> None:
    """Tell the buyer about the order event."""
    buyer = await accounts_store.fetch_user(conn, change.buyer_id)
    if buyer is None:  # an account removed since: nobody to write to
        return
    mail = compose_order_mail(commerce.platform_name, buyer.username, change.order_id, change.new_status,
                              change.total_amount, change.note)
    if mail is not None:
        await store.enqueue(conn, f"order:{change.order_id}:{change.new_status}", buyer.email, mail.subject,
                            mail.body)


async def withdrawal_decided(conn: asyncpg.Connection, seller_id: int, withdrawal_id: int, amount: Decimal,
                             status: str, note: str, commerce: CommerceConfig) -> None:
    """Tell the seller an admin approved or rejected their withdrawal."""
    seller = await accounts_store.fetch_user(conn, seller_id)
    if seller is None:
        return
    mail = withdrawal_mail(commerce.platform_name, seller.username, withdrawal_id, amount, status, note)
    await store.enqueue(conn, f"withdrawal:{withdrawal_id}:{status}", seller.email, mail.subject, mail.body)
