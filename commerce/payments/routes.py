"""HTTP endpoints of payments: Razorpay orders, verification, webhooks, credit purchases."""

from __future__ import annotations

from aiohttp import web

from commerce.payments.keys import PAYMENTS
from commerce.payments.schemas import BuyCreditsIn, CheckoutOut, PayOrderIn, VerifyIn, VerifyOut
from server.api import ApiRouter
from server.tokens import Principal

api = ApiRouter("payments")



@api.post("/api/payments/create-order/", roles=["buyer"], body=PayOrderIn, response=CheckoutOut,
          summary="The Razorpay order to pay one of your unpaid orders with Checkout")
async def create_payment_order(request: web.Request, me: Principal, body: PayOrderIn) -> CheckoutOut:
    return await request.app[PAYMENTS].pay_order(me, body.order_id)


@api.post("/api/payments/verify-payment/", aliases=["/api/payments/verify/"], roles=["buyer", "seller"],
          body=VerifyIn, response=VerifyOut,
          summary="Confirm a payment with Checkout's signature (400 invalid_signature if it does not match)")
async def verify_payment(request: web.Request, me: Principal, body: VerifyIn) -> VerifyOut:
    return await request.app[PAYMENTS].verify(me, body.razorpay_order_id, body.razorpay_payment_id,
                                          body.razorpay_signature)


@api.post("/api/payments/webhook/", auth="public", also=[400],
          summary="Razorpay webhooks (X-Razorpay-Signature over the raw body); each event applies once")
async def webhook(request: web.Request) -> dict[str, str]:
    body = await request.text()
    return await request.app[PAYMENTS].webhook(body, request.headers.get("X-Razorpay-Signature"),
                                           request.headers.get("X-Razorpay-Event-Id"))


@api.post("/api/payments/credits/purchase/", roles=["seller"], body=BuyCreditsIn, response=CheckoutOut,
          status=201, summary="A Razorpay order for live-show credits (added once the payment is verified)")
async def buy_credits(request: web.Request, me: Principal, body: BuyCreditsIn) -> CheckoutOut:
    return await request.app[PAYMENTS].buy_credits(me, body.credits)
