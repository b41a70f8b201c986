"""HTTP endpoints of seller earnings and withdrawals, and their admin decisions."""

from __future__ import annotations

from aiohttp import web

from commerce.earnings.keys import EARNINGS
from commerce.earnings.schemas import DecideIn, EarningsOut, WithdrawalOut, WithdrawalQuery, WithdrawIn
from server.api import ApiRouter, Page, page_of, path_id
from server.tokens import Principal

api = ApiRouter("seller money")



@api.get("/api/payments/seller/earnings/", roles=["seller"], response=EarningsOut,
         summary="Earnings (order totals less commission), what is held, withdrawn and available")
async def seller_earnings(request: web.Request, me: Principal) -> EarningsOut:
    return await request.app[EARNINGS].summary(me.user_id)


@api.post("/api/payments/seller/withdrawals/", roles=["seller"], body=WithdrawIn, response=WithdrawalOut,
          status=201, summary="Ask for a payout (never more than available: 409 insufficient_balance)")
async def request_withdrawal(request: web.Request, me: Principal, body: WithdrawIn) -> WithdrawalOut:
    return await request.app[EARNINGS].request_withdrawal(me.user_id, body.amount)


@api.get("/api/payments/seller/withdrawals/", roles=["seller"], query=WithdrawalQuery,
         response=Page[WithdrawalOut], summary="Your withdrawal requests")
async def my_withdrawals(request: web.Request, me: Principal, query: WithdrawalQuery) -> web.Response:
    count, items = await request.app[EARNINGS].withdrawals(me.user_id, query.status, query.page_size, query.offset)
    return page_of(request, query, count, items)


@api.get("/api/admin/withdrawals/", roles=["admin"], query=WithdrawalQuery, response=Page[WithdrawalOut],
         summary="Withdrawal requests of every seller")
async def all_withdrawals(request: web.Request, me: Principal, query: WithdrawalQuery) -> web.Response:
    count, items = await request.app[EARNINGS].withdrawals(None, query.status, query.page_size, query.offset)
    return page_of(request, query, count, items)


@api.post(r"/api/admin/withdrawals/{id:\d+}/approve/", roles=["admin"], body=DecideIn, response=WithdrawalOut,
          summary="Approve a withdrawal (paid out)")
async def approve(request: web.Request, me: Principal, body: DecideIn) -> WithdrawalOut:
    return await request.app[EARNINGS].decide(me, path_id(request), True, body.note)


@api.post(r"/api/admin/withdrawals/{id:\d+}/reject/", roles=["admin"], body=DecideIn, response=WithdrawalOut,
          summary="Reject a withdrawal (the amount is available again)")
async def reject(request: web.Request, me: Principal, body: DecideIn) -> WithdrawalOut:
    return await request.app[EARNINGS].decide(me, path_id(request), False, body.note)
