"""Cart and orders: stock never oversold, all-or-nothing checkout, idempotency, transitions, expiry."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from commerce.cart.service import put_in_cart
from commerce.orders.expiry import expire_unpaid
from commerce.orders.keys import ORDERS
from server.keys import CONFIG, DB
from tests.helpers import Account, Api, category, product, verified_seller

ADDRESS = {"name": "Asha Rao", "line1": "12 MG Road", "city": "Bengaluru", "state": "KA", "postal_code": "560001",
           "phone": "+919800000001"}


@pytest.fixture
async def seller(api: Api, admin: Account) -> Account:
    return await verified_seller(api, admin, "weaver")


@pytest.fixture
async def cat(api: Api, admin: Account) -> int:
    return await category(api, admin)


async def add(api: Api, buyer: Account, product_id: int, quantity: int = 1) -> Any:
    reply = await api.post("/api/orders/cart/add/", {"product_id": product_id, "quantity": quantity},
                           token=buyer.access)
    return reply


async def checkout(api: Api, buyer: Account, key: str | None = None, **extra: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return await api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS, **extra}, token=buyer.access,
                          headers=headers)


async def stock(api: Api, product_id: int) -> int:
    return int((await api.get(f"/api/products/products/{product_id}/")).body["stock"])


async def test_cart_add_update_remove_and_total(api: Api, seller: Account, cat: int) -> None:
    buyer = await api.register("buyer")
    saree = await product(api, seller, cat, "Saree", "1299.50", stock=5)
    kurta = await product(api, seller, cat, "Kurta", "499", stock=5)
    assert (await add(api, buyer, saree["id"], 2)).status == 200
    reply = await add(api, buyer, kurta["id"])
    assert reply.body["total"] == 3098.0 and reply.body["count"] == 3
    line = reply.body["items"][0]
    assert line["product"]["id"] == saree["id"] and line["quantity"] == 2 and line["price"] == 1299.5
    assert line["source"] == "cart" and line["line_total"] == 2599.0
    again = await add(api, buyer, saree["id"], 1)
    assert again.body["items"][0]["quantity"] == 3
    updated = await api.post("/api/orders/cart/update/", {"product_id": saree["id"], "quantity": 1},
                             token=buyer.access)
    assert updated.body["total"] == 1798.5
    removed = await api.call("DELETE", "/api/orders/cart/remove/", {"product_id": kurta["id"]}, token=buyer.access)
    assert removed.status == 200 and [i["product"]["id"] for i in removed.body["items"]] == [saree["id"]]
    gone = await api.call("DELETE", "/api/orders/cart/remove/", {"product_id": kurta["id"]}, token=buyer.access)
    assert gone.status == 404 and gone.error_code() == "not_in_cart"
    assert (await api.get("/api/orders/cart/", token=buyer.access)).body["count"] == 1


async def test_cart_refuses_more_than_stock_and_unknown_products(api: Api, seller: Account, cat: int) -> None:
    buyer = await api.register("buyer")
    item = await product(api, seller, cat, stock=2)
    assert (await add(api, buyer, item["id"], 2)).status == 200
    over = await add(api, buyer, item["id"], 1)
    assert over.status == 409 and over.error_code() == "out_of_stock" and over.body["error"]["available"] == 2
    assert (await add(api, buyer, 99999)).error_code() == "product_not_found"
    assert (await add(api, buyer, item["id"], 0)).status == 400
    assert (await api.post("/api/orders/cart/add/", {"product_id": item["id"]}, token=seller.access)).status == 403
    await api.call("DELETE", f"/api/products/products/{item['id']}/", token=seller.access)
    assert (await add(api, buyer, item["id"])).status == 404


async def test_checkout_takes_stock_and_clears_the_cart(api: Api, seller: Account, cat: int) -> None:
    buyer = await api.register("buyer")
    item = await product(api, seller, cat, price="250.25", stock=5)
    await add(api, buyer, item["id"], 2)
    reply = await checkout(api, buyer)
    assert reply.status == 201
    order = reply.body
    assert order["status"] == "pending_payment" and order["total_amount"] == 500.5
    assert order["buyer"]["id"] == buyer.id and order["seller"]["id"] == seller.id
    assert order["items"] == [{"product": item["id"], "name": "Silk saree", "unit_price": 250.25, "quantity": 2,
                               "line_total": 500.5, "source": "cart"}]
    assert order["shipping_address"]["city"] == "Bengaluru" and order["payment"] is None
    assert [t["status"] for t in order["tracking"]] == ["pending_payment"] and order["expires_at"]
    assert await stock(api, item["id"]) == 3
    assert (await api.get("/api/orders/cart/", token=buyer.access)).body["items"] == []


async def test_fifty_concurrent_checkouts_never_oversell(api: Api, seller: Account, cat: int,
                                                         db: asyncpg.Connection) -> None:
    item = await product(api, seller, cat, stock=10)
    buyers = [await api.register(f"buyer{i}") for i in range(50)]
    for buyer in buyers:
        assert (await add(api, buyer, item["id"])).status == 200
    replies = await asyncio.gather(*(checkout(api, b) for b in buyers))
    statuses = sorted(r.status for r in replies)
    assert statuses == [201] * 10 + [409] * 40
    assert {r.error_code() for r in replies if r.status == 409} == {"out_of_stock"}
    assert await stock(api, item["id"]) == 0
    assert await db.fetchval("SELECT count(*) FROM orders") == 10
    assert await db.fetchval("SELECT SUM(quantity) FROM order_items") == 10
    # The refused buyers keep their carts: a failed checkout changes nothing.
    assert await db.fetchval("SELECT count(*) FROM cart_items") == 40
    winner = next(r for r in replies if r.status == 201)
    cancel = await api.post(f"/api/orders/orders/{winner.body['id']}/status/", {"status": "cancelled"},
                            token=seller.access)
    assert cancel.status == 200 and cancel.body["status"] == "cancelled"
    assert await stock(api, item["id"]) == 1


async def test_a_failed_checkout_changes_nothing(api: Api, seller: Account, cat: int, db: asyncpg.Connection) -> None:
    buyer = await api.register("buyer")
    plenty = await product(api, seller, cat, "Plenty", stock=10)
    scarce = await product(api, seller, cat, "Scarce", stock=1)
    await add(api, buyer, plenty["id"], 3)
    await add(api, buyer, scarce["id"], 1)
    await db.execute("UPDATE products SET stock = 0 WHERE id = $1", scarce["id"])
    reply = await checkout(api, buyer)
    assert reply.status == 409 and reply.error_code() == "out_of_stock"
    assert reply.body["error"]["product_id"] == scarce["id"] and reply.body["error"]["available"] == 0
    assert await stock(api, plenty["id"]) == 10
    assert await db.fetchval("SELECT count(*) FROM orders") == 0
    assert (await api.get("/api/orders/cart/", token=buyer.access)).body["count"] == 4


async def test_empty_cart_multiple_sellers_and_bad_addresses(api: Api, admin: Account, seller: Account,
                                                             cat: int) -> None:
    buyer = await api.register("buyer")
    assert (await checkout(api, buyer)).error_code() == "cart_empty"
    rival = await verified_seller(api, admin, "rival")
    mine, theirs = await product(api, seller, cat), await product(api, rival, cat, "Other")
    await add(api, buyer, mine["id"])
    await add(api, buyer, theirs["id"])
    mixed = await checkout(api, buyer)
    assert mixed.status == 409 and mixed.error_code() == "multiple_sellers"
    assert sorted(mixed.body["error"]["seller_ids"]) == sorted([seller.id, rival.id])
    for address in ({"name": "x"}, "", 42, {**ADDRESS, "postal_code": "!!"}):
        bad = await api.post("/api/orders/orders/create/", {"shipping_address": address}, token=buyer.access)
        assert bad.status == 400, address
    one = await checkout(api, buyer, seller_id=rival.id)
    assert one.status == 201 and [i["product"] for i in one.body["items"]] == [theirs["id"]]
    text = await api.post("/api/orders/orders/create/", {"shipping_address": "12 MG Road, Bengaluru 560001"},
                          token=buyer.access)
    assert text.status == 201 and text.body["shipping_address"] == "12 MG Road, Bengaluru 560001"


async def test_idempotency_key_returns_the_same_order(api: Api, seller: Account, cat: int,
                                                      db: asyncpg.Connection) -> None:
    buyer = await api.register("buyer")
    item = await product(api, seller, cat, stock=10)
    await add(api, buyer, item["id"], 2)
    first = await checkout(api, buyer, key="order-abc-1")
    retry = await checkout(api, buyer, key="order-abc-1")
    assert first.status == retry.status == 201 and retry.body["id"] == first.body["id"]
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert await stock(api, item["id"]) == 8
    other = await api.register("other")
    await add(api, other, item["id"], 1)
    theirs = await checkout(api, other, key="order-abc-1")  # keys are per buyer
    assert theirs.status == 201 and theirs.body["id"] != first.body["id"]
    bad = await checkout(api, buyer, key="has space")
    assert bad.status == 400


async def test_concurrent_retries_with_one_key_make_one_order(api: Api, seller: Account, cat: int,
                                                              db: asyncpg.Connection) -> None:
    buyer = await api.register("buyer")
    item = await product(api, seller, cat, stock=10)
    await add(api, buyer, item["id"], 1)
    replies = await asyncio.gather(*(checkout(api, buyer, key="same-key") for _ in range(10)))
    assert {r.status for r in replies} == {201}
    assert len({r.body["id"] for r in replies}) == 1
    assert await db.fetchval("SELECT count(*) FROM orders") == 1
    assert await stock(api, item["id"]) == 9


async def test_status_transitions_and_who_may_make_them(api: Api, admin: Account, seller: Account, cat: int,
                                                        db: asyncpg.Connection) -> None:
    buyer = await api.register("buyer")
    item = await product(api, seller, cat, stock=10)
    await add(api, buyer, item["id"], 2)
    order = (await checkout(api, buyer)).body
    path = f"/api/orders/orders/{order['id']}/status/"

    async def move(token: str, status: str, note: str = "") -> Any:
        return await api.post(path, {"status": status, "note": note}, token=token)

    assert (await move(seller.access, "shipped")).error_code() == "invalid_transition"
    assert (await move(seller.access, "paid")).status == 403  # only a payment pays
    assert (await move(buyer.access, "shipped")).error_code() == "invalid_transition"
    await db.execute("UPDATE orders SET status = 'paid', paid_at = now() WHERE id = $1", order["id"])
    assert (await move(buyer.access, "shipped")).status == 403
    assert (await move(buyer.access, "cancelled")).status == 403  # a paid order is the seller's to cancel
    shipped = await move(seller.access, "shipped", "AWB 1234 via Delhivery")
    assert shipped.status == 200 and shipped.body["status"] == "shipped"
    assert shipped.body["tracking"][-1]["note"] == "AWB 1234 via Delhivery"
    assert (await move(seller.access, "cancelled")).error_code() == "invalid_transition"
    delivered = await move(seller.access, "delivered")
    assert [t["status"] for t in delivered.body["tracking"]] == ["pending_payment", "shipped", "delivered"]
    assert (await move(admin.access, "shipped")).error_code() == "invalid_transition"
    assert (await api.post(path, {"status": "lost"}, token=seller.access)).status == 400
    rival = await verified_seller(api, admin, "rival")
    assert (await move(rival.access, "cancelled")).status == 404


async def test_buyer_cancels_an_unpaid_order_and_stock_returns(api: Api, seller: Account, cat: int) -> None:
    buyer = await api.register("buyer")
    item = await product(api, seller, cat, stock=4)
    await add(api, buyer, item["id"], 3)
    order = (await checkout(api, buyer)).body
    assert await stock(api, item["id"]) == 1
    reply = await api.post(f"/api/orders/orders/{order['id']}/status/", {"status": "cancelled"}, token=buyer.access)
    assert reply.status == 200 and reply.body["expires_at"] is None
    assert await stock(api, item["id"]) == 4
    again = await api.post(f"/api/orders/orders/{order['id']}/status/", {"status": "cancelled"}, token=buyer.access)
    assert again.error_code() == "invalid_transition" and await stock(api, item["id"]) == 4


async def test_who_sees_which_orders(api: Api, admin: Account, seller: Account, cat: int) -> None:
    buyer, other = await api.register("buyer"), await api.register("other")
    rival = await verified_seller(api, admin, "rival")
    item = await product(api, seller, cat)
    await add(api, buyer, item["id"])
    order = (await checkout(api, buyer)).body
    path = f"/api/orders/orders/{order['id']}/"
    for account in (buyer, seller, admin):
        assert (await api.get(path, token=account.access)).status == 200
    for account in (other, rival):
        assert (await api.get(path, token=account.access)).status == 404
    assert (await api.get("/api/orders/orders/", token=buyer.access)).body["count"] == 1
    assert (await api.get("/api/orders/orders/", token=other.access)).body["count"] == 0
    assert (await api.get("/api/orders/seller/orders/", token=seller.access)).body["count"] == 1
    assert (await api.get("/api/orders/seller/orders/", token=rival.access)).body["count"] == 0
    assert (await api.get("/api/orders/seller/orders/", token=buyer.access)).status == 403
    assert (await api.get("/api/orders/orders/?status=paid", token=admin.access)).body["count"] == 0
    assert (await api.get("/api/orders/orders/?status=pending_payment", token=admin.access)).body["count"] == 1


async def test_unpaid_orders_expire_once_even_with_two_sweepers(api: Api, app: Any, seller: Account, cat: int,
                                                                db: asyncpg.Connection) -> None:
    item = await product(api, seller, cat, stock=10)
    ids = []
    for i in range(4):
        buyer = await api.register(f"buyer{i}")
        await add(api, buyer, item["id"], 2)
        ids.append((await checkout(api, buyer)).body["id"])
    await db.execute("UPDATE orders SET pay_by = now() - interval '1 minute' WHERE id = ANY($1::bigint[])", ids[:3])
    await db.execute("UPDATE orders SET status = 'paid' WHERE id = $1", ids[0])  # paid just in time
    config = app[CONFIG].replace(commerce={"order_payment_timeout_s": 3600})
    orders = dataclasses.replace(app[ORDERS], config=config.commerce)
    results = await asyncio.gather(expire_unpaid(orders), expire_unpaid(orders))
    assert sum(results) == 2
    statuses = dict(await db.fetch("SELECT id, status FROM orders"))
    assert [statuses[i] for i in ids] == ["paid", "cancelled", "cancelled", "pending_payment"]
    assert await stock(api, item["id"]) == 10 - 2 * 2
    notes = await db.fetch("SELECT note FROM order_events WHERE status = 'cancelled'")
    assert [n["note"] for n in notes] == ["Not paid in time"] * 2


async def test_auction_wins_land_once_at_their_price(api: Api, app: Any, seller: Account, cat: int) -> None:
    buyer = await api.register("buyer")
    item = await product(api, seller, cat, price="1000", stock=3)
    for _ in range(3):  # the close of one auction, delivered three times
        await put_in_cart(app[DB], buyer.id, item["id"], source="auction", unit_price=Decimal("740.00"),
                          ref="bidding:7")
    await add(api, buyer, item["id"], 1)
    cart = (await api.get("/api/orders/cart/", token=buyer.access)).body
    assert sorted((i["source"], i["price"], i["quantity"]) for i in cart["items"]) == [
        ("auction", 740.0, 1), ("cart", 1000.0, 1)]
    assert cart["total"] == 1740.0
    order = (await checkout(api, buyer)).body
    assert order["total_amount"] == 1740.0
    assert sorted(i["source"] for i in order["items"]) == ["auction", "cart"]


async def test_an_order_keeps_the_payment_deadline_it_was_placed_with(api: Api, app: Any, seller: Account, cat: int,
                                                                      db: asyncpg.Connection) -> None:
    item = await product(api, seller, cat, stock=5)
    buyer = await api.register("buyer")
    await add(api, buyer, item["id"])
    placed = (await checkout(api, buyer)).body
    deadline = await db.fetchval("SELECT pay_by FROM orders WHERE id = $1", placed["id"])
    created = await db.fetchval("SELECT created_at FROM orders WHERE id = $1", placed["id"])
    timeout = app[CONFIG].commerce.order_payment_timeout_s
    assert abs((deadline - created).total_seconds() - timeout) < 5
    assert placed["expires_at"] is not None
    # The timeout is shortened afterwards, and the order is older than the new one: it keeps its own deadline.
    await db.execute("UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = $1", placed["id"])
    config = app[CONFIG].replace(commerce={"order_payment_timeout_s": 60})
    shorter = dataclasses.replace(app[ORDERS], config=config.commerce)
    assert await expire_unpaid(shorter) == 0
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", placed["id"]) == "pending_payment"
    await db.execute("UPDATE orders SET pay_by = now() - interval '1 second' WHERE id = $1", placed["id"])
    assert await expire_unpaid(shorter) == 1
    # An order placed before deadlines were kept is due by the configured timeout.
    await add(api, buyer, item["id"])
    old = (await checkout(api, buyer)).body["id"]
    await db.execute("UPDATE orders SET pay_by = NULL, created_at = now() - interval '2 hours' WHERE id = $1", old)
    assert await expire_unpaid(shorter) == 1
