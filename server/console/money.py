"""The seller's money: earnings, withdrawal requests, and buying live-show credits through Razorpay."""

from __future__ import annotations

from aiohttp import web

from commerce.earnings.keys import EARNINGS
from commerce.earnings.schemas import WithdrawIn
from commerce.payments.gateway import GATEWAY
from commerce.payments.keys import PAYMENTS
from commerce.payments.schemas import BuyCreditsIn, VerifyIn
from server.api import validate
from server.console.web import SELLER, Console, Ctx
from server.errors import PermissionDenied

pages = Console()


@pages.page("/console/money/", roles=SELLER)
async def money(ctx: Ctx) -> web.StreamResponse:
    service = ctx.request.app[EARNINGS]
    summary = await service.summary(ctx.me.user_id)
    _, withdrawals = await service.withdrawals(ctx.me.user_id, None, 20, 0)
    razorpay = ctx.config.razorpay
    return await ctx.render("console/money.html", summary=summary, withdrawals=withdrawals,
                            minimum=ctx.config.commerce.min_withdrawal,
                            credit_price=razorpay.credit_price_paise / 100,
                            max_credits=razorpay.max_credits_per_purchase)


@pages.action("/console/money/withdraw", roles=SELLER, retry=money)
async def withdraw(ctx: Ctx) -> web.StreamResponse:
    body = validate(WithdrawIn, {"amount": ctx.form.get("amount", "")})
    out = await ctx.request.app[EARNINGS].request_withdrawal(ctx.me.user_id, body.amount)
    return await ctx.redirect("/console/money/", f"Withdrawal of ₹{out.amount} requested; an admin will review it.")


@pages.action("/console/money/credits", roles=SELLER, retry=money)
async def buy_credits(ctx: Ctx) -> web.StreamResponse:
    """A Razorpay order for the credits, then the checkout page that pays it."""
    body = validate(BuyCreditsIn, {"credits": ctx.form.get("credits", "")})
    checkout = await ctx.request.app[PAYMENTS].buy_credits(ctx.me, body.credits)
    return await ctx.render("console/checkout.html", checkout=checkout, amount=checkout.amount / 100,
                            local=ctx.config.mode == "development")


async def _confirmed(ctx: Ctx, fields: dict[str, str]) -> web.StreamResponse:
    body = validate(VerifyIn, fields)
    result = await ctx.request.app[PAYMENTS].verify(ctx.me, body.razorpay_order_id, body.razorpay_payment_id,
                                                body.razorpay_signature)
    credits = result.credits
    message = (f"Payment received: {credits.purchased} credits added; your balance is {credits.balance}."
               if credits else "Payment received.")
    return await ctx.redirect("/console/money/", message)


@pages.action("/console/money/credits/verify", roles=SELLER, retry=money)
async def verify(ctx: Ctx) -> web.StreamResponse:
    """Razorpay Checkout's signed result, posted by the checkout page's script."""
    return await _confirmed(ctx, ctx.form)


@pages.action("/console/money/credits/pay-local", roles=SELLER, retry=money)
async def pay_locally(ctx: Ctx) -> web.StreamResponse:
    """Development: the local Razorpay-compatible server plays Checkout, then the same verification."""
    if ctx.config.mode != "development":
        raise PermissionDenied("The local payment server is only for development.")
    gateway = ctx.request.app[GATEWAY]  # the Razorpay account itself: its local server pays
    result = await gateway.pay_locally(ctx.form.get("razorpay_order_id", ""))
    return await _confirmed(ctx, {k: str(result[k]) for k in (
        "razorpay_order_id", "razorpay_payment_id", "razorpay_signature")})
