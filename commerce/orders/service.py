"""Order use cases: checkout, status changes, reading, and the one transition function everything uses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from prometheus_client import Counter

from commerce.cart.service import OutOfStock, line_price
from commerce.orders import store
from commerce.orders.hooks import OrderChange, OrderEffect
from commerce.orders.rules import check_move, returns_stock
from commerce.orders.schemas import (
    CheckoutIn,
    InvoiceRef,
    OrderItemOut,
    OrderOut,
    Party,
    PaymentOut,
    SellerParty,
    TrackingOut,
)
from commerce.orders.store import Order, OrderParties, Payment, Taken
from server.config import CommerceConfig
from server.errors import Conflict, NotFound
from server.metrics import counted
from server.money import CENT
from server.sql import Conn
from server.tokens import Principal

CHECKOUTS = Counter("lsc_checkouts", "Checkouts, by outcome: placed (an order waiting for payment), repeated (its "
                    "Idempotency-Key was seen), or the code of the refusal (out_of_stock, cart_empty...).", ["outcome"])


@dataclass
class Orders:
    pool: asyncpg.Pool
    config: CommerceConfig
    # What reacts to an order change (earnings, invoice, refund, mail, the buyer's notification), composed in
    # commerce.plugin; each runs in the change's transaction.
    effects: tuple[OrderEffect, ...] = ()

    async def transition(self, conn: asyncpg.Connection, order_id: int, target: str, actor: str,
                         actor_id: int | None, note: str = "", *, expected: str | None = None) -> OrderChange:
        """Move an order to `target` in the caller's transaction: checked by the rules, applied by one
        conditional update (so two processes cannot both do it), with tracking, stock return and effects."""
        row = await store.fetch_status(conn, order_id)
        if row is None:
            raise NotFound(f"No order with id {order_id}.", code="order_not_found")
        current = row.status
        if expected is not None and current != expected:
            raise Conflict(f"The order is {current}, not {expected}.", code="invalid_transition")
        check_move(current, target, actor)
        moved = await store.move(conn, order_id, current, target)
        if moved is None:
            raise Conflict("The order changed meanwhile; reload it.", code="invalid_transition")
        if returns_stock(current, target):
            await store.return_stock(conn, order_id)
        await store.add_event(conn, order_id, target, note, actor_id)
        change = OrderChange(order_id, moved.buyer_id, moved.seller_id, current, target, note,
                             moved.total_amount)
        await self._react(conn, change)
        return change

    async def _react(self, conn: asyncpg.Connection, change: OrderChange) -> None:
        for effect in self.effects:
            await effect(conn, change)

    async def checkout(self, buyer_id: int, data: CheckoutIn, key: str | None) -> tuple[OrderOut, bool]:
        """Turn the cart (one seller's) into a pending order, taking stock atomically.

        Returns the order and whether it was created now (False: the Idempotency-Key was seen).
        All or nothing: a line out of stock leaves stock, cart and orders as they were.
        """
        return await counted(CHECKOUTS, self._checkout(buyer_id, data, key),
                             lambda placed: "placed" if placed[1] else "repeated")

    async def _checkout(self, buyer_id: int, data: CheckoutIn, key: str | None) -> tuple[OrderOut, bool]:
        if key is not None:
            existing = await store.order_for_key(self.pool, buyer_id, key)
            if existing is not None:
                return await self.view(existing), False
        address = data.shipping_address
        address_json = address if isinstance(address, str) else address.model_dump()
        async with self.pool.acquire() as conn, conn.transaction():
            # One checkout per buyer at a time; a retry that waited here finds the order its key made.
            await store.lock_buyer_checkout(conn, buyer_id)
            existing = await store.order_for_key(conn, buyer_id, key) if key is not None else None
            if existing is None:
                order_id = await self._place(conn, buyer_id, data.seller_id, address_json, key)
        if existing is not None:
            return await self.view(existing), False
        return await self.view(order_id), True

    async def _place(self, conn: asyncpg.Connection, buyer_id: int, seller_id: int | None, address: Any,
                     key: str | None) -> int:
        lines = await store.lock_cart(conn, buyer_id, seller_id)
        if not lines:
            raise Conflict("The cart is empty." if seller_id is None else "The cart has nothing of this seller.",
                           code="cart_empty")
        sellers = sorted({line.seller_id for line in lines})
        if len(sellers) > 1:
            raise Conflict(
                "The cart holds items of several sellers; check out one seller at a time with seller_id.",
                code="multiple_sellers", extra={"seller_ids": sellers},
            )
        order_id = await store.insert_order(conn, buyer_id, sellers[0], address, key,
                                            self.config.order_payment_timeout_s)
        wanted: dict[int, int] = defaultdict(int)
        for line in lines:
            wanted[line.product_id] += 0 if line.held else line.quantity  # a held line's stock is taken
        products: dict[int, Taken] = {}
        for product_id in sorted(wanted):  # one lock order for every checkout: no deadlocks
            taken = await store.take_stock(conn, product_id, wanted[product_id])
            if taken is None:
                current = await store.stock_of(conn, product_id)
                available = current.stock if current and current.is_active else 0
                name = current.name if current else f"product {product_id}"
                raise OutOfStock(f"Only {available} of {name} left; the cart holds {wanted[product_id]}.",
                                 extra={"product_id": product_id, "available": available})
            products[product_id] = taken
        items = []
        total = Decimal("0.00")
        for line in lines:
            product = products[line.product_id]
            price = line_price(line.unit_price, product.price)
            items.append((line.product_id, product.name, price, line.quantity, line.source, line.ref))
            total += price * line.quantity
        await store.insert_items(conn, order_id, items)
        await store.set_total(conn, order_id, total.quantize(CENT))
        await store.delete_cart_lines(conn, [line.id for line in lines])
        await store.add_event(conn, order_id, "pending_payment", "Order placed", buyer_id)
        await self._react(conn, OrderChange(order_id, buyer_id, sellers[0], None, "pending_payment", "",
                                             total.quantize(CENT)))
        return order_id

    async def gift(self, conn: asyncpg.Connection, buyer_id: int, seller_id: int, product_id: int, ref: str,
                   note: str) -> int:
        """In the caller's transaction, an order of one unit at price 0 (a giveaway's prize; the caller took its
        stock), paid at once so that its effects run (the invoice, the buyer's notification). Its address is
        settled with the buyer afterwards."""
        order_id = await store.insert_order(conn, buyer_id, seller_id, "To be confirmed with the winner.", None,
                                            self.config.order_payment_timeout_s)
        product = await store.stock_of(conn, product_id)
        name = product.name if product else f"product {product_id}"
        await store.insert_items(conn, order_id, [(product_id, name, Decimal("0.00"), 1, "giveaway", ref)])
        await store.add_event(conn, order_id, "pending_payment", note, None)
        await self.transition(conn, order_id, "paid", "payment", None, note)
        return order_id

    async def change_status(self, me: Principal, order_id: int, target: str, note: str) -> OrderOut:
        """A seller ships, delivers or cancels; a buyer may cancel an unpaid order; admins may all of it."""
        row = await store.fetch_status(self.pool, order_id)
        if row is None or not _may_see(me, row):
            raise NotFound(f"No order with id {order_id}.", code="order_not_found")
        actor = "admin" if me.role == "admin" else ("seller" if row.seller_id == me.user_id else "buyer")
        async with self.pool.acquire() as conn, conn.transaction():
            await self.transition(conn, order_id, target, actor, me.user_id, note)
        return await self.view(order_id)

    async def get(self, me: Principal, order_id: int) -> OrderOut:
        """An order for its buyer, its seller or an admin; 404 for anyone else."""
        row = await store.fetch_status(self.pool, order_id)
        if row is None or not _may_see(me, row):
            raise NotFound(f"No order with id {order_id}.", code="order_not_found")
        return await self.view(order_id)

    async def view(self, order_id: int) -> OrderOut:
        row = await store.fetch_order(self.pool, order_id)
        if row is None:
            raise NotFound(f"No order with id {order_id}.", code="order_not_found")
        return (await self.views(self.pool, [row]))[0]

    async def page(self, *, buyer_id: int | None, seller_id: int | None, status: str | None, limit: int,
                   offset: int) -> tuple[int, list[OrderOut]]:
        count, rows = await store.list_orders(self.pool, buyer_id=buyer_id, seller_id=seller_id, status=status,
                                              limit=limit, offset=offset)
        return count, await self.views(self.pool, rows)

    async def views(self, conn: Conn, rows: list[Order]) -> list[OrderOut]:
        """Orders with items, tracking and payment, in a fixed number of queries for any page size."""
        ids = [r.id for r in rows]
        items: dict[int, list[OrderItemOut]] = defaultdict(list)
        for i in await store.fetch_items(conn, ids):
            items[i.order_id].append(OrderItemOut(
                product=i.product_id, name=i.name, unit_price=i.unit_price, quantity=i.quantity,
                line_total=(i.unit_price * i.quantity).quantize(CENT), source=i.source,
            ))
        tracking: dict[int, list[TrackingOut]] = defaultdict(list)
        for e in await store.fetch_events(conn, ids):
            tracking[e.order_id].append(TrackingOut(status=e.status, note=e.note, at=e.created_at))
        payments = {p.order_id: p for p in await store.fetch_payments(conn, ids)}
        invoices = await store.invoice_numbers(conn, ids)
        timeout = timedelta(seconds=self.config.order_payment_timeout_s)
        return [
            OrderOut(
                id=r.id, status=r.status,
                buyer=Party(id=r.buyer_id, username=r.buyer_username),
                seller=SellerParty(id=r.seller_id, username=r.seller_username,
                                   business_name=r.seller_business_name),
                items=items[r.id], total_amount=r.total_amount, shipping_address=r.shipping_address,
                payment=_payment(payments.get(r.id)),
                tracking=tracking[r.id], created_at=r.created_at, updated_at=r.updated_at,
                paid_at=r.paid_at,
                expires_at=(r.pay_by or r.created_at + timeout) if r.status == "pending_payment" else None,
                invoice=InvoiceRef(number=invoices[r.id], url=f"/api/orders/orders/{r.id}/invoice/")
                if r.id in invoices else None,
            )
            for r in rows
        ]


def _payment(row: Payment | None) -> PaymentOut | None:
    if row is None:
        return None
    return PaymentOut(status=row.status, razorpay_order_id=row.razorpay_order_id,
                      razorpay_payment_id=row.razorpay_payment_id, amount=row.amount_paise,
                      currency=row.currency)


def _may_see(me: Principal, row: OrderParties) -> bool:
    return me.role == "admin" or me.user_id in (row.buyer_id, row.seller_id)
