"""A Razorpay-compatible HTTP server for development and tests: the API calls our SDK makes, same auth,
same JSON shapes and error bodies, plus the step that happens in Razorpay's Checkout (a buyer paying).

It keeps everything in memory. It is not a mock of our code: our server talks to it through the real
`razorpay` SDK over a socket, exactly as it talks to api.razorpay.com.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web


def sign(secret: str, message: str) -> str:
    """Razorpay's signature: hex HMAC-SHA256 of the message with the secret."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(7)}"


def _error(status: int, description: str, code: str = "BAD_REQUEST_ERROR") -> web.Response:
    body = {"error": {"code": code, "description": description, "source": "NA", "step": "NA", "reason": "NA"}}
    return web.json_response(body, status=status)


@dataclass
class LocalRazorpay:
    """State and settings of one local Razorpay."""

    key_id: str
    key_secret: str
    webhook_secret: str
    webhook_url: str | None = None
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(user, self.key_id) and hmac.compare_digest(password, self.key_secret)

    def event(self, name: str, entities: dict[str, dict[str, Any]]) -> tuple[str, str, str]:
        """A webhook delivery as Razorpay sends it: (event id, raw body, signature)."""
        body = json.dumps({
            "entity": "event", "account_id": "acc_local", "event": name, "contains": list(entities),
            "payload": {k: {"entity": v} for k, v in entities.items()}, "created_at": int(time.time()),
        })
        return _id("evt"), body, sign(self.webhook_secret, body)

    def pay(self, order_id: str, success: bool) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        """What Checkout does when the buyer pays: a payment, and the webhooks Razorpay would send."""
        order = self.orders[order_id]
        payment = {
            "id": _id("pay"), "entity": "payment", "amount": order["amount"], "currency": order["currency"],
            "status": "captured" if success else "failed", "order_id": order_id, "method": "upi",
            "captured": success, "amount_refunded": 0, "refund_status": None, "notes": order["notes"],
            "error_code": None if success else "BAD_REQUEST_ERROR",
            "error_description": None if success else "Payment was declined by the bank.",
            "created_at": int(time.time()),
        }
        self.payments[payment["id"]] = payment
        order["attempts"] += 1
        if success:
            order.update(status="paid", amount_paid=order["amount"], amount_due=0)
            events = [self.event("payment.captured", {"payment": payment}),
                      self.event("order.paid", {"order": order, "payment": payment})]
        else:
            order["status"] = "attempted"
            events = [self.event("payment.failed", {"payment": payment})]
        return payment, events


APP_KEY = web.AppKey("local_razorpay", LocalRazorpay)


async def _auth(request: web.Request) -> LocalRazorpay | web.Response:
    state = request.app[APP_KEY]
    if not state.authorized(request):
        return _error(401, "The api key provided is invalid")
    return state


async def create_order(request: web.Request) -> web.Response:
    state = await _auth(request)
    if isinstance(state, web.Response):
        return state
    try:
        data = await request.json()
    except ValueError:
        return _error(400, "The request body is not valid JSON.")
    amount = data.get("amount") if isinstance(data, dict) else None
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 100:
        return _error(400, "The amount must be atleast INR 1.00.")
    if data.get("currency", "INR") != "INR":
        return _error(400, "Currency is not supported.")
    order = {
        "id": _id("order"), "entity": "order", "amount": amount, "amount_paid": 0, "amount_due": amount,
        "currency": "INR", "receipt": data.get("receipt"), "offer_id": None, "status": "created", "attempts": 0,
        "notes": data.get("notes") or {}, "created_at": int(time.time()),
    }
    state.orders[order["id"]] = order
    return web.json_response(order)


def _fetch(collection: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """GET /v1/<collection>/{id}: one stored entity."""

    async def fetch(request: web.Request) -> web.Response:
        state = await _auth(request)
        if isinstance(state, web.Response):
            return state
        entity = getattr(state, collection).get(request.match_info["id"])
        return web.json_response(entity) if entity else _error(400, "The id provided does not exist")

    return fetch


async def refund_payment(request: web.Request) -> web.Response:
    state = await _auth(request)
    if isinstance(state, web.Response):
        return state
    payment = state.payments.get(request.match_info["id"])
    if payment is None:
        return _error(400, "The id provided does not exist")
    data = await request.json() if request.can_read_body else {}
    amount = data.get("amount", payment["amount"] - payment["amount_refunded"])
    if payment["status"] not in ("captured", "refunded") or amount <= 0 or \
            amount > payment["amount"] - payment["amount_refunded"]:
        return _error(400, "The refund amount provided is greater than amount captured.")
    refund = {"id": _id("rfnd"), "entity": "refund", "amount": amount, "currency": "INR",
              "payment_id": payment["id"], "status": "processed", "created_at": int(time.time())}
    state.refunds[refund["id"]] = refund
    payment["amount_refunded"] += amount
    if payment["amount_refunded"] == payment["amount"]:
        payment.update(status="refunded", refund_status="full")
    await _deliver(request.app, [state.event("refund.processed", {"refund": refund, "payment": payment})])
    return web.json_response(refund)


async def local_pay(request: web.Request) -> web.Response:
    """Not Razorpay's API: the buyer paying in Checkout. Answers the fields Checkout hands the app
    (order id, payment id, signature) and the webhook deliveries Razorpay would make."""
    state = request.app[APP_KEY]
    order_id = request.match_info["id"]
    if order_id not in state.orders:
        return _error(400, "The id provided does not exist")
    data = await request.json() if request.can_read_body else {}
    payment, events = state.pay(order_id, success=data.get("outcome", "success") == "success")
    await _deliver(request.app, events)
    return web.json_response({
        "razorpay_order_id": order_id,
        "razorpay_payment_id": payment["id"],
        "razorpay_signature": sign(state.key_secret, f"{order_id}|{payment['id']}"),
        "status": payment["status"],
        "webhooks": [{"event_id": e, "body": b, "signature": s} for e, b, s in events],
    })


async def _deliver(app: web.Application, events: list[tuple[str, str, str]]) -> None:
    """Post the webhooks to the configured URL, if any (tests deliver them themselves)."""
    state = app[APP_KEY]
    if not state.webhook_url:
        return
    async with ClientSession(timeout=ClientTimeout(total=10)) as session:
        for event_id, body, signature in events:
            headers = {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": event_id,
                       "Content-Type": "application/json"}
            try:
                async with session.post(state.webhook_url, data=body, headers=headers) as resp:
                    state.delivered.append({"event_id": event_id, "status": resp.status})
            except (TimeoutError, OSError) as exc:
                state.delivered.append({"event_id": event_id, "error": repr(exc)})


def create_local_razorpay(key_id: str, key_secret: str, webhook_secret: str,
                          webhook_url: str | None = None) -> web.Application:
    """The local Razorpay as an aiohttp app of its own (tests serve it alone on a port)."""
    app = web.Application()
    mount_local_razorpay(app, "", key_id, key_secret, webhook_secret, webhook_url)
    return app


def mount_local_razorpay(app: web.Application, prefix: str, key_id: str, key_secret: str, webhook_secret: str,
                         webhook_url: str | None = None) -> None:
    """Add the local Razorpay's routes under `prefix` to an app. Plain routes rather than a sub-app: a
    sub-app puts one more middleware around every request of the main app, WebSockets included."""
    app[APP_KEY] = LocalRazorpay(key_id, key_secret, webhook_secret, webhook_url)
    prefix = prefix.rstrip("/")
    app.router.add_post(f"{prefix}/v1/orders", create_order)
    app.router.add_get(f"{prefix}/v1/orders/{{id}}", _fetch("orders"))
    app.router.add_get(f"{prefix}/v1/payments/{{id}}", _fetch("payments"))
    app.router.add_post(f"{prefix}/v1/payments/{{id}}/refund", refund_payment)
    app.router.add_post(f"{prefix}/_local/orders/{{id}}/pay", local_pay)
