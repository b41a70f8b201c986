"""Payments through the real razorpay SDK against a local Razorpay-compatible server on its own port."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest

from commerce.payments.keys import PAYMENTS
from commerce.payments.razorpay_local import APP_KEY, LocalRazorpay, create_local_razorpay
from server.app import create_app
from server.config import Config
from server.embedded import free_port
from tests.conftest import make_config
from tests.helpers import Account, Api, category, product, verified_seller

ADDRESS = "12 MG Road, Bengaluru 560001"


@dataclass
class Env:
    api: Api
    config: Config
    app: Any
    razorpay: LocalRazorpay
    razorpay_url: str
    seller: Account
    buyer: Account
    product: dict[str, Any]

    async def local(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with aiohttp.ClientSession() as session, session.post(self.razorpay_url + path, json=body or {}) as r:
            return await r.json()

    async def order(self, quantity: int = 1) -> dict[str, Any]:
        await self.api.post("/api/orders/cart/add/", {"product_id": self.product["id"], "quantity": quantity},
                            token=self.buyer.access)
        reply = await self.api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS},
                                    token=self.buyer.access)
        assert reply.status == 201, reply.body
        return dict(reply.body)

    async def pay_order(self, order_id: int) -> dict[str, Any]:
        reply = await self.api.post("/api/payments/create-order/", {"order_id": order_id}, token=self.buyer.access)
        assert reply.status == 200, reply.body
        return dict(reply.body)

    async def checkout(self, razorpay_order_id: str, outcome: str = "success") -> dict[str, Any]:
        """What Razorpay Checkout hands the app when the buyer pays (plus the webhooks it sends)."""
        return dict(await self.local(f"/_local/orders/{razorpay_order_id}/pay", {"outcome": outcome}))

    async def verify(self, paid: dict[str, Any], token: str | None = None, **override: str) -> Any:
        body = {k: paid[k] for k in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")}
        return await self.api.post("/api/payments/verify-payment/", {**body, **override},
                                   token=token or self.buyer.access)

    async def deliver(self, hook: dict[str, Any], signature: str | None = None) -> Any:
        headers = {"X-Razorpay-Signature": signature or hook["signature"], "X-Razorpay-Event-Id": hook["event_id"],
                   "Content-Type": "application/json"}
        return await self.api.call("POST", "/api/payments/webhook/", data=hook["body"].encode(), headers=headers)


@pytest.fixture
async def env(aiohttp_client: Any, aiohttp_server: Any, clean: Any) -> Env:
    base = make_config(clean)
    rzp = base.razorpay
    server = await aiohttp_server(create_local_razorpay(rzp.key_id, rzp.key_secret, rzp.webhook_secret))
    url = str(server.make_url("")).rstrip("/")
    config = make_config(clean, razorpay={"base_url": url})
    app = create_app(config)
    api = Api(await aiohttp_client(app))
    from server.demo import create_admin

    await create_admin(config, "root", "root@example.com", "root-pass-123")
    admin = await api.login("root", "root-pass-123")
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin), price="1299.50", stock=5)
    buyer = await api.register("buyer")
    return Env(api, config, app, server.app[APP_KEY], url, seller, buyer, item)


async def paid_events(db: asyncpg.Connection, order_id: int) -> int:
    return int(await db.fetchval("SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'paid'",
                                 order_id))


async def test_buyer_pays_and_verifies(env: Env, db: asyncpg.Connection) -> None:
    order = await env.order(2)
    rzp = await env.pay_order(order["id"])
    assert rzp["amount"] == 259900 and rzp["currency"] == "INR" and rzp["key_id"] == env.config.razorpay.key_id
    assert env.razorpay.orders[rzp["razorpay_order_id"]]["receipt"] == f"order-{order['id']}"
    again = await env.pay_order(order["id"])
    assert again["razorpay_order_id"] == rzp["razorpay_order_id"]  # one Razorpay order per order
    paid = await env.checkout(rzp["razorpay_order_id"])
    reply = await env.verify(paid)
    assert reply.status == 200 and reply.body["status"] == "captured"
    out = reply.body["order"]
    assert out["status"] == "paid" and out["paid_at"] and out["expires_at"] is None
    assert out["payment"]["status"] == "captured"
    assert out["payment"]["razorpay_payment_id"] == paid["razorpay_payment_id"]
    alias = await env.api.post("/api/payments/verify/", {k: paid[k] for k in (
        "razorpay_order_id", "razorpay_payment_id", "razorpay_signature")}, token=env.buyer.access)
    assert alias.status == 200 and await paid_events(db, order["id"]) == 1


async def test_bad_signature_is_400_and_changes_nothing(env: Env, db: asyncpg.Connection) -> None:
    order = await env.order()
    paid = await env.checkout((await env.pay_order(order["id"]))["razorpay_order_id"])
    forged = await env.verify(paid, razorpay_signature="0" * 64)
    assert forged.status == 400 and forged.error_code() == "invalid_signature"
    swapped = await env.verify(paid, razorpay_payment_id="pay_someoneelse1")
    assert swapped.status == 400 and swapped.error_code() == "invalid_signature"
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order["id"]) == "pending_payment"
    assert await db.fetchval("SELECT status FROM payments") == "created"


async def test_webhook_with_a_bad_signature_is_400_and_changes_nothing(env: Env, db: asyncpg.Connection) -> None:
    order = await env.order()
    paid = await env.checkout((await env.pay_order(order["id"]))["razorpay_order_id"])
    hook = paid["webhooks"][0]
    reply = await env.deliver(hook, signature="deadbeef" * 8)
    assert reply.status == 400 and reply.error_code() == "invalid_signature"
    unsigned = await env.api.call("POST", "/api/payments/webhook/", data=hook["body"].encode())
    assert unsigned.status == 400 and unsigned.error_code() == "invalid_signature"
    tampered = hook["body"].replace('"captured"', '"failed"', 1)
    assert (await env.deliver({**hook, "body": tampered})).status == 400
    assert await db.fetchval("SELECT count(*) FROM webhook_events") == 0
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order["id"]) == "pending_payment"


async def test_the_same_webhook_twice_changes_nothing_the_second_time(env: Env, db: asyncpg.Connection) -> None:
    order = await env.order()
    paid = await env.checkout((await env.pay_order(order["id"]))["razorpay_order_id"])
    captured = paid["webhooks"][0]
    assert (await env.deliver(captured)).body == {"status": "ok"}
    assert (await env.deliver(captured)).body == {"status": "duplicate"}
    assert (await env.deliver(paid["webhooks"][1])).body == {"status": "ok"}  # order.paid: same payment
    assert await paid_events(db, order["id"]) == 1
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order["id"]) == "paid"


async def test_webhook_before_verify(env: Env, db: asyncpg.Connection) -> None:
    order = await env.order()
    paid = await env.checkout((await env.pay_order(order["id"]))["razorpay_order_id"])
    for hook in reversed(paid["webhooks"]):  # order.paid first, then payment.captured
        assert (await env.deliver(hook)).status == 200
    reply = await env.verify(paid)
    assert reply.status == 200 and reply.body["order"]["status"] == "paid"
    assert await paid_events(db, order["id"]) == 1


async def test_verify_before_webhook(env: Env, db: asyncpg.Connection) -> None:
    order = await env.order()
    paid = await env.checkout((await env.pay_order(order["id"]))["razorpay_order_id"])
    assert (await env.verify(paid)).body["order"]["status"] == "paid"
    for hook in paid["webhooks"]:
        assert (await env.deliver(hook)).body == {"status": "ok"}
    assert await paid_events(db, order["id"]) == 1
    assert (await env.verify(paid)).status == 200  # a repeated verify is harmless too


async def test_a_failed_payment_leaves_the_order_payable(env: Env, db: asyncpg.Connection) -> None:
    order = await env.order()
    rzp = (await env.pay_order(order["id"]))["razorpay_order_id"]
    failed = await env.checkout(rzp, outcome="failure")
    assert json.loads(failed["webhooks"][0]["body"])["event"] == "payment.failed"
    assert (await env.deliver(failed["webhooks"][0])).status == 200
    row = await db.fetchrow("SELECT status, failure_reason, razorpay_payment_id FROM payments")
    assert row["status"] == "failed" and "declined" in row["failure_reason"]
    failed_id = json.loads(failed["webhooks"][0]["body"])["payload"]["payment"]["entity"]["id"]
    assert failed_id and row["razorpay_payment_id"] == failed_id  # kept, not null
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order["id"]) == "pending_payment"
    retry = await env.checkout(rzp)
    assert (await env.verify(retry)).body["order"]["status"] == "paid"
    late_failure = await env.deliver(failed["webhooks"][0] | {"event_id": "evt_replayed_later"})
    assert late_failure.status == 200
    assert await db.fetchval("SELECT status FROM payments") == "captured"  # a late failure does not undo
    assert await db.fetchval("SELECT razorpay_payment_id FROM payments") == retry["razorpay_payment_id"]


async def test_payment_permissions_and_states(env: Env) -> None:
    order = await env.order()
    other = await env.api.register("other")
    assert (await env.api.post("/api/payments/create-order/", {"order_id": order["id"]},
                               token=other.access)).status == 404
    assert (await env.api.post("/api/payments/create-order/", {"order_id": order["id"]},
                               token=env.seller.access)).status == 403
    paid = await env.checkout((await env.pay_order(order["id"]))["razorpay_order_id"])
    stolen = await env.verify(paid, token=other.access)
    assert stolen.status == 404 and stolen.error_code() == "payment_not_found"
    await env.verify(paid)
    done = await env.api.post("/api/payments/create-order/", {"order_id": order["id"]}, token=env.buyer.access)
    assert done.status == 409 and done.error_code() == "order_not_payable"


async def test_seller_buys_credits_once(env: Env, db: asyncpg.Connection) -> None:
    reply = await env.api.post("/api/payments/credits/purchase/", {"credits": 5}, token=env.seller.access)
    assert reply.status == 201 and reply.body["amount"] == 5 * env.config.razorpay.credit_price_paise
    assert reply.body["credits"] == 5
    paid = await env.checkout(reply.body["razorpay_order_id"])
    verified = await env.verify(paid, token=env.seller.access)
    assert verified.status == 200 and verified.body["credits"] == {"purchased": 5, "balance": 6}
    for hook in paid["webhooks"]:
        await env.deliver(hook)
    await env.verify(paid, token=env.seller.access)
    assert await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", env.seller.id) == 6
    assert await db.fetchval("SELECT SUM(delta) FROM credit_ledger WHERE seller_id = $1", env.seller.id) == 6
    buyer = await env.api.post("/api/payments/credits/purchase/", {"credits": 1}, token=env.buyer.access)
    assert buyer.status == 403
    too_many = await env.api.post("/api/payments/credits/purchase/", {"credits": 100000}, token=env.seller.access)
    assert too_many.status == 400 and "credits" in too_many.body["error"]["fields"]


async def test_cancelling_a_paid_order_refunds_it_once(env: Env, db: asyncpg.Connection) -> None:
    env.razorpay.webhook_url = str(env.api.client.make_url("/api/payments/webhook/"))
    order = await env.order()
    paid = await env.checkout((await env.pay_order(order["id"]))["razorpay_order_id"])
    await env.verify(paid)
    cancel = await env.api.post(f"/api/orders/orders/{order['id']}/status/", {"status": "cancelled"},
                                token=env.seller.access)
    assert cancel.status == 200 and cancel.body["payment"]["status"] == "refund_pending"
    service = env.app[PAYMENTS]
    assert await service.issue_due_refunds() == 1
    assert await service.issue_due_refunds() == 0
    row = await db.fetchrow("SELECT status, refund_id FROM payments")
    assert row["status"] == "refunded" and row["refund_id"].startswith("rfnd_")
    assert env.razorpay.payments[paid["razorpay_payment_id"]]["status"] == "refunded"
    assert len(env.razorpay.refunds) == 1


async def test_a_payment_after_the_order_expired_is_refunded(env: Env, db: asyncpg.Connection) -> None:
    env.razorpay.webhook_url = str(env.api.client.make_url("/api/payments/webhook/"))
    order = await env.order()
    rzp = (await env.pay_order(order["id"]))["razorpay_order_id"]
    await db.execute("UPDATE orders SET status = 'cancelled' WHERE id = $1", order["id"])  # expired meanwhile
    paid = await env.checkout(rzp)
    reply = await env.verify(paid)
    assert reply.status == 409 and reply.error_code() == "order_not_payable"
    assert await db.fetchval("SELECT status FROM payments") == "refunded"
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order["id"]) == "cancelled"


async def test_webhooks_for_unknown_orders_and_unknown_events_are_acknowledged(env: Env) -> None:
    secret = env.config.razorpay.webhook_secret

    async def send(payload: dict[str, Any], event_id: str) -> Any:
        body = json.dumps(payload)
        signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        return await env.deliver({"event_id": event_id, "body": body}, signature=signature)

    unknown_order = {"event": "payment.captured", "payload": {"payment": {"entity": {
        "id": "pay_x", "order_id": "order_notours", "amount": 100}}}}
    assert (await send(unknown_order, "evt_1")).body == {"status": "ok"}
    assert (await send({"event": "subscription.charged", "payload": {}}, "evt_2")).body == {"status": "ok"}
    broken = await send({"event": "payment.captured", "payload": {}}, "evt_3")
    assert broken.status == 400 and broken.error_code() == "invalid_input"
    assert (await send({"no": "event"}, "evt_4")).status == 400


async def test_razorpay_unreachable_is_503(aiohttp_client: Any, clean: Any) -> None:
    config = make_config(clean, razorpay={"base_url": f"http://127.0.0.1:{free_port()}"})
    api = Api(await aiohttp_client(create_app(config)))
    seller = await api.register("shop", "seller")
    reply = await api.post("/api/payments/credits/purchase/", {"credits": 1}, token=seller.access)
    assert reply.status == 503 and reply.error_code() == "payment_gateway_unavailable"
