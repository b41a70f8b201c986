"""Unpaid orders past their time are cancelled and their stock returns; safe with many processes."""

from __future__ import annotations

import logging

from aiohttp import web

from commerce.orders import store
from commerce.orders.keys import ORDERS
from commerce.orders.service import Orders
from server.background import periodic
from server.errors import DomainError
from server.keys import CONFIG

log = logging.getLogger(__name__)


async def expire_unpaid(orders: Orders) -> int:
    """Cancel the unpaid orders past commerce.order_payment_timeout_s; returns how many this call cancelled.

    Every process may run this at once: each order moves by one conditional update, so it is
    cancelled once, and one paid in the meantime is left alone.
    """
    cancelled = 0
    pool = orders.pool
    for order_id in await store.expired_orders(pool, orders.config.order_payment_timeout_s):
        try:
            async with pool.acquire() as conn, conn.transaction():
                await orders.transition(conn, order_id, "cancelled", "expiry", None, "Not paid in time",
                                        expected="pending_payment")
            cancelled += 1
        except DomainError:
            continue  # paid, or cancelled by someone else, in the meantime
    return cancelled


async def expiry_step(app: web.Application) -> None:
    cancelled = await expire_unpaid(app[ORDERS])
    if cancelled:
        log.info("cancelled %d unpaid order(s) past their time", cancelled)


expiry_ctx = periodic("order-expiry", lambda app: app[CONFIG].commerce.expiry_sweep_interval_s, expiry_step)
