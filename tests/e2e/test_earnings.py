"""Seller earnings, withdrawals under concurrency, admin decisions, and the e-mail outbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from commerce.earnings.rules import Balance, split_sale
from commerce.mail.sender import SmtpMailer, backoff_s, send_due
from server.db import create_pool
from server.embedded import free_port
from server.keys import DB
from tests.conftest import make_config
from tests.helpers import Account, Api, category, product, verified_seller


def test_split_and_balance_rules() -> None:
    split = split_sale(Decimal("1299.50"), 1000)
    assert (split.gross, split.commission, split.net) == (Decimal("1299.50"), Decimal("129.95"), Decimal("1169.55"))
    assert split_sale(Decimal("0.05"), 1000).commission == Decimal("0.01")  # half up to the paisa
    balance = Balance(total=Decimal("1000"), pending=Decimal("300"), withdrawn=Decimal("200"), requested=Decimal("100"))
    assert balance.available == Decimal("400")


@pytest.fixture
async def seller(api: Api, admin: Account) -> Account:
    return await verified_seller(api, admin, "weaver")


async def paid_order(api: Api, db: asyncpg.Connection, app: Any, seller: Account, price: str, name: str) -> int:
    """A paid order through the one transition every payment path uses."""
    from commerce.orders.keys import ORDERS

    buyer = await api.register(name)
    item = await product(api, seller, await category(api, await api.login("root", "root-pass-123"), f"cat-{name}"),
                         f"item-{name}", price, stock=5)
    await api.post("/api/orders/cart/add/", {"product_id": item["id"]}, token=buyer.access)
    order = (await api.post("/api/orders/orders/create/", {"shipping_address": "1 Main Road, Pune 411001"},
                            token=buyer.access)).body
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, order["id"], "paid", "payment", buyer.id, "test payment")
    return int(order["id"])


async def test_paid_orders_earn_less_commission_held_then_available(api: Api, app: Any, seller: Account,
                                                                    db: asyncpg.Connection) -> None:
    order_id = await paid_order(api, db, app, seller, "1000", "asha")
    reply = await api.get("/api/payments/seller/earnings/", token=seller.access)
    assert reply.status == 200
    body = reply.body
    assert (body["total"], body["pending"], body["available"], body["withdrawn"]) == (900.0, 900.0, 0.0, 0.0)
    assert body["entries"][0] | {"available_at": None, "created_at": None, "id": None} == {
        "id": None, "order_id": order_id, "kind": "sale", "gross": 1000.0, "commission": 100.0, "net": 900.0,
        "available_at": None, "created_at": None}
    await db.execute("UPDATE earnings SET available_at = now() - interval '1 second'")  # the hold is over
    assert (await api.get("/api/payments/seller/earnings/", token=seller.access)).body["available"] == 900.0


async def test_a_refunded_order_takes_its_earning_back(api: Api, app: Any, seller: Account,
                                                       db: asyncpg.Connection) -> None:
    order_id = await paid_order(api, db, app, seller, "1000", "asha")
    cancel = await api.post(f"/api/orders/orders/{order_id}/status/", {"status": "cancelled"}, token=seller.access)
    assert cancel.status == 200
    body = (await api.get("/api/payments/seller/earnings/", token=seller.access)).body
    assert (body["total"], body["pending"], body["available"]) == (0.0, 0.0, 0.0)
    assert [e["kind"] for e in body["entries"]] == ["refund", "sale"]


async def test_concurrent_withdrawals_never_exceed_available(api: Api, app: Any, seller: Account,
                                                             db: asyncpg.Connection) -> None:
    await paid_order(api, db, app, seller, "1000", "asha")  # net 900
    await db.execute("UPDATE earnings SET available_at = now() - interval '1 second'")
    replies = await asyncio.gather(*(
        api.post("/api/payments/seller/withdrawals/", {"amount": "200"}, token=seller.access) for _ in range(10)
    ))
    statuses = sorted(r.status for r in replies)
    assert statuses == [201] * 4 + [409] * 6
    assert {r.error_code() for r in replies if r.status == 409} == {"insufficient_balance"}
    assert await db.fetchval("SELECT SUM(amount) FROM withdrawals") == Decimal("800.00")
    body = (await api.get("/api/payments/seller/earnings/", token=seller.access)).body
    assert body["available"] == 100.0 and body["requested"] == 800.0


async def test_withdrawal_input_and_roles(api: Api, app: Any, seller: Account, db: asyncpg.Connection) -> None:
    buyer = await api.register("buyer")
    assert (await api.post("/api/payments/seller/withdrawals/", {"amount": 100}, token=buyer.access)).status == 403
    assert (await api.get("/api/payments/seller/earnings/", token=buyer.access)).status == 403
    small = await api.post("/api/payments/seller/withdrawals/", {"amount": 5}, token=seller.access)
    assert small.status == 400 and "amount" in small.body["error"]["fields"]
    nothing = await api.post("/api/payments/seller/withdrawals/", {"amount": 100}, token=seller.access)
    assert nothing.status == 409 and nothing.body["error"]["available"] == 0.0
    assert (await api.post("/api/payments/seller/withdrawals/", {"amount": "1.001"}, token=seller.access)).status == 400


async def test_admin_approves_or_rejects_once_and_the_seller_is_mailed(api: Api, app: Any, admin: Account,
                                                                       seller: Account,
                                                                       db: asyncpg.Connection) -> None:
    await paid_order(api, db, app, seller, "1000", "asha")
    await db.execute("UPDATE earnings SET available_at = now() - interval '1 second'")
    first = (await api.post("/api/payments/seller/withdrawals/", {"amount": 300}, token=seller.access)).body
    second = (await api.post("/api/payments/seller/withdrawals/", {"amount": 400}, token=seller.access)).body
    assert (await api.post(f"/api/admin/withdrawals/{first['id']}/approve/", {}, token=seller.access)).status == 403
    approved = await api.post(f"/api/admin/withdrawals/{first['id']}/approve/", {"note": "NEFT ref 991"},
                              token=admin.access)
    assert approved.status == 200 and approved.body["status"] == "approved" and approved.body["decided_at"]
    again = await api.post(f"/api/admin/withdrawals/{first['id']}/reject/", {}, token=admin.access)
    assert again.status == 409 and again.error_code() == "already_decided"
    rejected = await api.post(f"/api/admin/withdrawals/{second['id']}/reject/", {"note": "KYC pending"},
                              token=admin.access)
    assert rejected.body["status"] == "rejected"
    assert (await api.post("/api/admin/withdrawals/999/approve/", {}, token=admin.access)).status == 404
    body = (await api.get("/api/payments/seller/earnings/", token=seller.access)).body
    assert (body["withdrawn"], body["requested"], body["available"]) == (300.0, 0.0, 600.0)
    mine = (await api.get("/api/payments/seller/withdrawals/?status=approved", token=seller.access)).body
    assert [w["id"] for w in mine["results"]] == [first["id"]]
    assert (await api.get("/api/admin/withdrawals/?status=rejected", token=admin.access)).body["count"] == 1
    mails = await db.fetch("SELECT event_key, subject, body FROM outbox WHERE event_key LIKE 'withdrawal:%' "
                           "ORDER BY id")
    assert [m["event_key"] for m in mails] == [f"withdrawal:{first['id']}:approved",
                                               f"withdrawal:{second['id']}:rejected"]
    assert "NEFT ref 991" in mails[0]["body"] and "KYC pending" in mails[1]["body"]


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


async def test_order_events_send_one_email_each_even_with_two_senders(api: Api, app: Any, seller: Account, smtp: Any,
                                                                      clean: Any, db: asyncpg.Connection) -> None:
    controller, inbox = smtp
    order_id = await paid_order(api, db, app, seller, "1000", "asha")
    await api.post(f"/api/orders/orders/{order_id}/status/", {"status": "shipped", "note": "AWB 42"},
                   token=seller.access)
    config = make_config(clean, mail={"smtp_host": "127.0.0.1", "smtp_port": controller.port,
                                      "smtp_starttls": False, "from_address": "shop@lsc.test"})
    mailer = SmtpMailer(config.mail)
    # A second process's pool, without an app: an app's own mail loop would claim the rows at start-up.
    other = await create_pool(config.database)
    try:
        results = await asyncio.gather(send_due(app[DB], mailer, config), send_due(other, mailer, config))
    finally:
        await other.close()
    assert sum(results) == 3
    subjects = sorted(str(m["Subject"]) for m in inbox.messages)
    assert subjects == sorted([f"Order #{order_id} placed · Livestream Commerce",
                               f"Payment received for order #{order_id} · Livestream Commerce",
                               f"Order #{order_id} shipped · Livestream Commerce"])
    shipped = next(m for m in inbox.messages if "shipped" in str(m["Subject"]))
    assert shipped["To"] == "asha@example.com" and shipped["From"] == "shop@lsc.test"
    assert "AWB 42" in shipped.get_content() and shipped["Message-ID"] == f"<order.{order_id}.shipped@lsc.test>"
    assert await send_due(app[DB], mailer, config) == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


async def test_failed_sends_are_retried_with_backoff_then_given_up(api: Api, app: Any, seller: Account,
                                                                   clean: Any, db: asyncpg.Connection,
                                                                   smtp: Any) -> None:
    controller, inbox = smtp
    await paid_order(api, db, app, seller, "1000", "asha")
    down = make_config(clean, mail={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_starttls": False,
                                    "max_attempts": 2})
    assert await send_due(app[DB], SmtpMailer(down.mail), down) == 0
    rows = await db.fetch("SELECT attempts, last_error, next_attempt_at > now() AS later, failed_at FROM outbox")
    assert all(r["attempts"] == 1 and r["later"] and r["last_error"] and r["failed_at"] is None for r in rows)
    assert backoff_s(1) == 10 and backoff_s(2) == 20 and backoff_s(20) == 3600
    await db.execute("UPDATE outbox SET next_attempt_at = now()")
    assert await send_due(app[DB], SmtpMailer(down.mail), down) == 0
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL") == len(rows)
    up = make_config(clean, mail={"smtp_host": "127.0.0.1", "smtp_port": controller.port, "smtp_starttls": False})
    assert await send_due(app[DB], SmtpMailer(up.mail), up) == 0  # given up: not sent again
    assert inbox.messages == []


async def test_without_smtp_emails_land_in_a_folder(api: Api, app: Any, seller: Account, clean: Any,
                                                    db: asyncpg.Connection, tmp_path: Any) -> None:
    from commerce.mail.sender import mailer_for

    await paid_order(api, db, app, seller, "1000", "asha")
    config = make_config(clean, server={"var_dir": str(tmp_path)})
    assert await send_due(app[DB], mailer_for(config), config) == 2
    from email import message_from_bytes, policy

    files = sorted((tmp_path / "mail").glob("*.eml"))
    subjects = sorted(str(message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"]) for f in files)
    assert subjects == ["Order #1 placed · Livestream Commerce", "Payment received for order #1 · Livestream Commerce"]
