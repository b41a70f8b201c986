"""Invoices: sequential numbers per year even under concurrent payments, the PDF's content, access, caching."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from pypdf import PdfReader

from commerce.invoices.render import InvoiceData, Line, render_invoice
from commerce.orders.keys import ORDERS
from server.keys import DB
from tests.helpers import Account, Api, category, product, verified_seller

ADDRESS = {"name": "Asha Rao", "line1": "12 MG Road", "city": "Bengaluru", "state": "KA", "postal_code": "560001"}


async def place(api: Api, buyer: Account, product_id: int, quantity: int = 1) -> int:
    await api.post("/api/orders/cart/add/", {"product_id": product_id, "quantity": quantity}, token=buyer.access)
    reply = await api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS}, token=buyer.access)
    assert reply.status == 201, reply.body
    return int(reply.body["id"])


async def pay(app: Any, order_id: int, buyer_id: int) -> None:
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, order_id, "paid", "payment", buyer_id, "test payment")


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_the_invoice_shows_the_order_and_its_total(api: Api, app: Any, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    await api.patch("/api/auth/profile/update/", {"business_name": "Weaver & Sons", "gstin": "27AAPFU0939F1ZV"},
                    token=seller.access)
    item = await product(api, seller, await category(api, admin), name="Silk <b>saree</b> & stole", price="649.75")
    buyer = await api.register("asha")
    order_id = await place(api, buyer, item["id"], 2)
    unpaid = await api.get(f"/api/orders/orders/{order_id}/invoice/", token=buyer.access)
    assert unpaid.status == 409 and unpaid.error_code() == "invoice_not_available"
    await pay(app, order_id, buyer.id)
    async with api.client.get(f"/api/orders/orders/{order_id}/invoice/",
                              headers={"Authorization": f"Bearer {buyer.access}"}) as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        text = pdf_text(await resp.read())
    year = datetime.now(UTC).year
    assert f"Order #{order_id}" in text and f"INV-{year}-000001" in text
    assert "INR 1,299.50" in text  # the total
    assert "Silk <b>saree</b> & stole" in text  # markup in a name is printed as text
    assert "Weaver & Sons" in text and "27AAPFU0939F1ZV" in text and "Bengaluru" in text
    assert "GST 18% (included)" in text and "INR 198.23" in text  # 1299.50 * 18 / 118


async def test_numbers_are_sequential_under_concurrent_payments(api: Api, app: Any, admin: Account,
                                                                db: asyncpg.Connection) -> None:
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin), stock=50)
    buyers = [await api.register(f"buyer{i}") for i in range(12)]
    orders = [await place(api, b, item["id"]) for b in buyers]
    await asyncio.gather(*(pay(app, o, b.id) for o, b in zip(orders, buyers, strict=True)))
    rows = await db.fetch("SELECT number, seq FROM invoices ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, 13))
    assert len({r["number"] for r in rows}) == 12


async def test_who_may_fetch_an_invoice_and_it_is_kept(api: Api, app: Any, admin: Account, config: Any) -> None:
    from server.config import media_path

    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin))
    buyer, other = await api.register("asha"), await api.register("other")
    order_id = await place(api, buyer, item["id"])
    await pay(app, order_id, buyer.id)
    path = f"/api/orders/orders/{order_id}/invoice/"
    for account in (buyer, seller, admin):
        assert (await api.get(path, token=account.access)).status == 200
    assert (await api.get(path, token=other.access)).status == 404
    assert (await api.get(path)).status == 401
    files = list((media_path(config) / "invoices").glob("INV-*.pdf"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    await api.get(path, token=buyer.access)
    assert files[0].stat().st_mtime_ns == stamp  # served from the kept file, not rendered again
    assert (await api.get(f"/media/invoices/{files[0].name}")).status == 404  # never public


def test_render_is_pure_and_fast_enough_for_a_thread() -> None:
    data = InvoiceData(
        platform="P", number="INV-2026-000009", issued_at=datetime(2026, 11, 24, tzinfo=UTC), order_id=9,
        seller_name="S", seller_gstin=None, seller_email="s@example.com", buyer_name="B", buyer_email="b@example.com",
        ship_to=["Somewhere"], lines=[Line("Thing", 3, Decimal("10.10"))],
        total=Decimal("30.30"), tax_label="GST", tax_rate_bps=0,
    )
    text = pdf_text(render_invoice(data))
    assert "INV-2026-000009" in text and "INR 30.30" in text and "GSTIN not registered" in text
