"""Invoice use cases: the PDF of a paid order for its buyer, its seller or an admin."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from commerce.invoices import store
from commerce.invoices.render import InvoiceData, Line, render_invoice
from commerce.orders import store as orders_store
from commerce.orders.hooks import OrderChange
from server.config import CommerceConfig
from server.errors import Conflict, NotFound
from server.tokens import Principal


async def number_paid_order(conn: asyncpg.Connection, change: OrderChange) -> None:
    """Order effect: a paid order gets its invoice number in the payment's transaction."""
    if change.new_status == "paid":
        await store.assign_number(conn, change.order_id)


def _ship_to(address: Any) -> list[str]:
    if isinstance(address, str):
        return [address]
    if isinstance(address, dict):
        city = " ".join(str(address.get(k, "")) for k in ("city", "state", "postal_code")).strip()
        parts = [address.get("name"), address.get("line1"), address.get("line2"), city, address.get("country"),
                 address.get("phone")]
        return [str(p) for p in parts if p]
    return []


@dataclass
class Invoices:
    pool: asyncpg.Pool
    config: CommerceConfig
    media: Path  # invoices are kept under media/invoices

    async def pdf(self, me: Principal, order_id: int) -> Path:
        """The invoice file of an order, rendered once (off the event loop) and then kept."""
        order = await orders_store.fetch_status(self.pool, order_id)
        if order is None or not (me.role == "admin" or me.user_id in (order.buyer_id, order.seller_id)):
            raise NotFound(f"No order with id {order_id}.", code="order_not_found")
        row = await store.invoice_data(self.pool, order_id)
        if row is None:
            raise Conflict("The order is not paid, so it has no invoice yet.", code="invoice_not_available")
        path = self.media / "invoices" / f"{row.number}.pdf"
        if await asyncio.to_thread(path.exists):
            return path
        items = await orders_store.fetch_items(self.pool, [order_id])
        data = InvoiceData(
            platform=self.config.platform_name, number=row.number, issued_at=row.issued_at,
            order_id=order_id, seller_name=row.business_name, seller_gstin=row.gstin,
            seller_email=row.seller_email, buyer_name=row.buyer_name, buyer_email=row.buyer_email,
            ship_to=_ship_to(row.shipping_address),
            lines=[Line(i.name, i.quantity, i.unit_price) for i in items], total=row.total_amount,
            tax_label=self.config.tax_label, tax_rate_bps=self.config.tax_rate_bps,
        )
        await asyncio.to_thread(_write_once, path, data)
        return path


def _write_once(path: Path, data: InvoiceData) -> None:
    """Render and publish atomically: concurrent first requests each write a temp file, one rename wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temp.write_bytes(render_invoice(data))
    temp.replace(path)
