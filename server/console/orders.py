"""The seller's orders: filter by status, detail, ship with a tracking note, deliver, cancel."""

from __future__ import annotations

from aiohttp import web

from commerce.orders.keys import ORDERS
from commerce.orders.rules import STATUSES, next_moves
from commerce.orders.schemas import StatusIn
from server.api import validate
from server.console.web import Console, Ctx

pages = Console()
ONE = r"/console/orders/{id:\d+}"


@pages.page("/console/orders/")
async def order_list(ctx: Ctx) -> web.StreamResponse:
    size = ctx.config.console.page_size
    page = ctx.int_query("page")
    status = ctx.request.query.get("status") or None
    if status not in STATUSES:
        status = None
    # A seller sees their own orders; an admin sees every order.
    seller = None if ctx.me.role == "admin" else ctx.me.user_id
    count, items = await ctx.request.app[ORDERS].page(buyer_id=None, seller_id=seller, status=status, limit=size,
                                                  offset=(page - 1) * size)
    return await ctx.render("console/orders/list.html", orders=items, count=count, page=page,
                            pages=max(1, -(-count // size)), filter_status=status or "", statuses=STATUSES)


@pages.page(ONE)
async def order_detail(ctx: Ctx) -> web.StreamResponse:
    order = await ctx.request.app[ORDERS].get(ctx.me, int(ctx.request.match_info["id"]))  # others': 404
    actor = "admin" if ctx.me.role == "admin" else "seller"
    return await ctx.render("console/orders/detail.html", order=order, moves=next_moves(order.status, actor))


@pages.action(ONE + "/status", retry=order_detail)
async def change_status(ctx: Ctx) -> web.StreamResponse:
    order_id = int(ctx.request.match_info["id"])
    body = validate(StatusIn, {"status": ctx.form.get("status", ""), "note": ctx.form.get("note", "")})
    order = await ctx.request.app[ORDERS].change_status(ctx.me, order_id, body.status, body.note)
    return await ctx.redirect(f"/console/orders/{order_id}", f"Order #{order_id} is now {order.status}.")
