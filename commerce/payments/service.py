"""Payment use cases. Capturing a payment is one function, used by the verify call and the webhooks alike:
it locks the payment row and changes things only the first time, so duplicates and reorderings are harmless.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
from prometheus_client import Counter

from commerce.orders import store as orders_store
from commerce.orders.service import Orders
from commerce.payments import store
from commerce.payments.provider import PaymentProvider
from commerce.payments.schemas import CheckoutOut, CreditsOut, VerifyOut
from commerce.payments.store import Payment
from server.config import RazorpayConfig
from server.credits.store import apply_credits
from server.credits.store import balance as credit_balance
from server.errors import Conflict, DomainError, InvalidInput, NotFound
from server.money import to_paise
from server.tokens import Principal

log = logging.getLogger(__name__)
PAYMENTS = Counter("lsc_payments", "Payment results applied (from Checkout's verify or a webhook), by outcome: "
                   "captured, duplicate (applied before), refund (its order was cancelled first: refunded), failed, "
                   "refunded.", ["outcome"])
WEBHOOKS = Counter("lsc_payment_webhooks", "Razorpay webhooks received, by outcome: applied, duplicate, "
                   "bad_signature.", ["outcome"])


async def capture(conn: asyncpg.Connection, orders: Orders, payment: Payment,
                  razorpay_payment_id: str) -> str:
    """Apply a successful payment once, in the caller's transaction (the payment row is locked).

    Returns what happened: "captured", "duplicate" (seen before), or "refund" (its order was cancelled
    before the money arrived, so the payment is queued for refund).
    """
    if payment.status in ("captured", "refund_pending", "refunded"):
        if payment.razorpay_payment_id != razorpay_payment_id:
            log.warning("second payment %s for Razorpay order %s (already paid by %s): refund it from the "
                        "Razorpay dashboard", razorpay_payment_id, payment.razorpay_order_id,
                        payment.razorpay_payment_id)
        return "duplicate"
    await store.mark_captured(conn, payment.id, razorpay_payment_id)
    if payment.purpose == "credits":
        await apply_credits(conn, payment.user_id, payment.bought, "purchase", payment.razorpay_order_id)
        return "captured"
    order = await orders_store.fetch_status(conn, payment.order)
    if order is not None and order.status == "pending_payment":
        await orders.transition(conn, payment.order, "paid", "payment", payment.user_id,
                                 f"Paid with Razorpay ({razorpay_payment_id})")
        return "captured"
    # The order expired (its stock went back) or was cancelled before the payment landed.
    await store.mark_refund_pending(conn, payment.id)
    return "refund"


@dataclass
class Payments:
    pool: asyncpg.Pool
    gateway: PaymentProvider  # Razorpay (commerce.payments.gateway) in this build
    config: RazorpayConfig
    orders: Orders

    def _checkout(self, row: Payment) -> CheckoutOut:
        return CheckoutOut(razorpay_order_id=row.razorpay_order_id, amount=row.amount_paise, currency="INR",
                           key_id=self.gateway.key_id, order_id=row.order_id, credits=row.credits)

    async def pay_order(self, me: Principal, order_id: int) -> CheckoutOut:
        """The Razorpay order for one of the buyer's unpaid orders (the same one on every call)."""
        order = await orders_store.fetch_order(self.pool, order_id)
        if order is None or order.buyer_id != me.user_id:
            raise NotFound(f"No order with id {order_id}.", code="order_not_found")
        if order.status != "pending_payment":
            raise Conflict(f"The order is {order.status}; only unpaid orders can be paid.", code="order_not_payable")
        existing = await store.payment_for_order(self.pool, order_id)
        if existing is not None:
            return self._checkout(existing)
        amount = to_paise(order.total_amount)
        if amount < 100:
            raise Conflict("Razorpay takes payments of INR 1.00 or more.", code="amount_too_small")
        created = await self.gateway.create_order(amount, f"order-{order_id}", {"order_id": str(order_id)})
        try:
            row = await store.insert_payment(self.pool, purpose="order", user_id=me.user_id, order_id=order_id,
                                             credits=None, razorpay_order_id=created["id"], amount_paise=amount)
        except asyncpg.UniqueViolationError:
            # A concurrent call created one first; the app uses that one (ours stays unpaid at Razorpay).
            found = await store.payment_for_order(self.pool, order_id)
            if found is None:  # the one that beat us was deleted meanwhile: nothing deletes payments
                raise
            row = found
        return self._checkout(row)

    async def buy_credits(self, me: Principal, credits: int) -> CheckoutOut:
        """A Razorpay order for live-show credits; they land in the ledger once the payment is confirmed."""
        limit = self.config.max_credits_per_purchase
        if credits > limit:
            raise InvalidInput(f"At most {limit} credits per purchase.", fields={"credits": [f"At most {limit}."]})
        amount = credits * self.config.credit_price_paise
        created = await self.gateway.create_order(amount, f"credits-{me.user_id}",
                                                  {"seller_id": str(me.user_id), "credits": str(credits)})
        row = await store.insert_payment(self.pool, purpose="credits", user_id=me.user_id, order_id=None,
                                         credits=credits, razorpay_order_id=created["id"], amount_paise=amount)
        return self._checkout(row)

    async def verify(self, me: Principal, razorpay_order_id: str, razorpay_payment_id: str,
                     signature: str) -> VerifyOut:
        """Confirm a payment from Checkout's signed result; the order is paid (or credits added) once."""
        self.gateway.verify_payment(razorpay_order_id, razorpay_payment_id, signature)
        async with self.pool.acquire() as conn, conn.transaction():
            payment = await store.lock_payment(conn, razorpay_order_id)
            if payment is None or payment.user_id != me.user_id:
                raise NotFound("No payment of yours has this Razorpay order id.", code="payment_not_found")
            outcome = await capture(conn, self.orders, payment, razorpay_payment_id)
        PAYMENTS.labels(outcome).inc()
        if outcome == "refund":
            await self.issue_due_refunds()
        if outcome == "refund" or payment.status in ("refund_pending", "refunded"):
            raise Conflict("The order was cancelled before the payment arrived; the payment will be refunded.",
                           code="order_not_payable")
        if payment.purpose == "credits":
            balance = await credit_balance(self.pool, me.user_id)
            return VerifyOut(status="captured", credits=CreditsOut(purchased=payment.bought, balance=balance))
        order = await self.orders.view(payment.order)
        return VerifyOut(status="captured", order=order)

    async def webhook(self, body: str, signature: str | None, event_id: str | None) -> dict[str, str]:
        """Apply a Razorpay webhook once: checked signature, deduplicated by event id, one transaction."""
        if not signature:
            raise InvalidInput("The X-Razorpay-Signature header is missing.", code="invalid_signature")
        try:
            self.gateway.verify_webhook(body, signature)
        except InvalidInput:
            WEBHOOKS.labels("bad_signature").inc()
            raise
        try:
            data = json.loads(body)
            event = str(data["event"])
            payload = data["payload"]
        except (ValueError, KeyError, TypeError):
            raise InvalidInput("The webhook body is not a Razorpay event.") from None
        event_id = event_id or hashlib.sha256(body.encode()).hexdigest()
        async with self.pool.acquire() as conn, conn.transaction():
            if not await store.record_webhook(conn, event_id, event):
                WEBHOOKS.labels("duplicate").inc()
                return {"status": "duplicate"}
            try:
                outcome = await self._apply(conn, event, payload)
            except (KeyError, TypeError):
                raise InvalidInput(f"The {event} event lacks the fields it needs.") from None
        WEBHOOKS.labels("applied").inc()
        if outcome is not None:
            PAYMENTS.labels(outcome).inc()
        if outcome == "refund":
            await self.issue_due_refunds()
        return {"status": "ok"}

    async def _apply(self, conn: asyncpg.Connection, event: str, payload: dict[str, Any]) -> str | None:
        """Apply one webhook event in the caller's transaction; what it did to a payment (capture's outcome,
        "failed" or "refunded"), or None when it concerned none of ours."""
        if event in ("payment.captured", "order.paid"):
            entity = payload["payment"]["entity"]
            payment = await store.lock_payment(conn, str(entity["order_id"]))
            if payment is None:
                log.info("webhook %s for an unknown Razorpay order %s ignored", event, entity["order_id"])
                return None
            if int(entity["amount"]) != payment.amount_paise:
                raise InvalidInput(f"The {event} amount differs from the order's.", code="amount_mismatch")
            return await capture(conn, self.orders, payment, str(entity["id"]))
        if event == "payment.failed":
            entity = payload["payment"]["entity"]
            reason = str(entity.get("error_description") or "Payment failed")
            failed_id = entity.get("id")
            changed = await store.mark_failed(conn, str(entity["order_id"]), str(failed_id) if failed_id else None,
                                              reason[:500])
            return "failed" if changed else None
        if event == "refund.processed":
            entity = payload["refund"]["entity"]
            changed = await store.mark_refunded(conn, str(entity["payment_id"]), str(entity["id"]))
            return "refunded" if changed else None
        log.info("webhook event %s ignored", event)
        return None

    async def issue_due_refunds(self) -> int:
        """Ask Razorpay for each refund that is due, one process per payment at a time."""
        issued = 0
        while (payment := await store.claim_refund(self.pool)) is not None:
            try:
                refund = await self.gateway.refund(payment.captured_id)
            except DomainError as exc:
                log.warning("refund of payment %s failed, will retry: %s", payment.razorpay_payment_id, exc)
                break
            await store.set_refund_id(self.pool, payment.id, str(refund["id"]))
            issued += 1
        return issued
