"""The seller's shows: schedule, edit, start with its credit cost, end, and the live control room."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from rooms.chat.keys import CHAT
from rooms.streams.keys import STREAMS
from rooms.streams.schemas import StreamIn, StreamOut
from server.api import validate
from server.console import store
from server.console.web import SELLER, Console, Ctx
from server.errors import NotFound
from server.keys import DB

pages = Console()
ONE = r"/console/shows/{id:\d+}"


async def _own_show(ctx: Ctx) -> StreamOut:
    """The show of this path if it is the signed-in seller's; another seller's show does not exist here."""
    show = await ctx.request.app[STREAMS].get(int(ctx.request.match_info["id"]))
    if show.seller.id != ctx.me.user_id:
        raise NotFound(f"You have no show with id {show.id}.", code="livestream_not_found")
    return show


@pages.page("/console/shows/", roles=SELLER)
async def show_list(ctx: Ctx) -> web.StreamResponse:
    size = ctx.config.console.page_size
    page = ctx.int_query("page")
    status = ctx.request.query.get("status") or None
    if status not in (None, "scheduled", "live", "ended"):
        status = None
    count, shows = await ctx.request.app[STREAMS].page(status, ctx.me.user_id, size, (page - 1) * size)
    return await ctx.render("console/shows/list.html", shows=shows, count=count, page=page,
                            pages=max(1, -(-count // size)), filter_status=status or "")


def _stream_fields(ctx: Ctx) -> dict[str, Any]:
    form = ctx.form
    return {"title": form.get("title", ""), "description": form.get("description", ""),
            "scheduled_at": (form.get("scheduled_at") or "").strip() or None,
            "product_ids": [v for v in ctx.fields.get("product_ids", []) if v]}


@pages.page("/console/shows/new", roles=SELLER)
async def new_show(ctx: Ctx) -> web.StreamResponse:
    products = await store.seller_products(ctx.app[DB], ctx.me.user_id)
    return await ctx.render("console/shows/form.html", show=None, products=products,
                            chosen=set(ctx.fields.get("product_ids", [])))


@pages.action("/console/shows/new", roles=SELLER, retry=new_show)
async def create_show(ctx: Ctx) -> web.StreamResponse:
    show = await ctx.request.app[STREAMS].create(ctx.me, validate(StreamIn, _stream_fields(ctx)))
    return await ctx.redirect(f"/console/shows/{show.id}", f"Show “{show.title}” scheduled.")


@pages.page(ONE, roles=SELLER)
async def show_detail(ctx: Ctx) -> web.StreamResponse:
    show = await _own_show(ctx)
    products = await store.seller_products(ctx.app[DB], ctx.me.user_id)
    chosen = set(ctx.fields.get("product_ids", [])) if ctx.fields else {str(p.id) for p in show.products}
    auctions = await store.show_auctions(ctx.app[DB], show.id)
    return await ctx.render("console/shows/detail.html", show=show, products=products, chosen=chosen,
                            auctions=auctions, block_minutes=ctx.config.credits.block_s // 60)


@pages.action(ONE, roles=SELLER, retry=show_detail)
async def update_show(ctx: Ctx) -> web.StreamResponse:
    show = await _own_show(ctx)
    show = await ctx.request.app[STREAMS].update(ctx.me, show.id, validate(StreamIn, _stream_fields(ctx)))
    return await ctx.redirect(f"/console/shows/{show.id}", "Show saved.")


@pages.action(ONE + "/start", roles=SELLER, retry=show_detail)
async def start_show(ctx: Ctx) -> web.StreamResponse:
    show = await _own_show(ctx)
    await ctx.request.app[STREAMS].start(ctx.me, show.id)
    return await ctx.redirect(f"/console/shows/{show.id}/live", "You are live. One credit was taken.")


@pages.action(ONE + "/end", roles=SELLER, retry=show_detail)
async def end_show(ctx: Ctx) -> web.StreamResponse:
    show = await _own_show(ctx)
    await ctx.request.app[STREAMS].end(ctx.me, show.id, "owner")
    return await ctx.redirect(f"/console/shows/{show.id}", "The show has ended.")


@pages.page(ONE + "/live", roles=SELLER)
async def control_room(ctx: Ctx) -> web.StreamResponse:
    """The live control room; its script keeps it current over the room's WebSocket."""
    show = await _own_show(ctx)
    if show.status != "live":
        return await ctx.redirect(f"/console/shows/{show.id}", "The control room opens while the show is live.",
                                  "error")
    balance = ctx.user.seller.credits if ctx.user.seller else 0
    covered_until = await ctx.request.app[STREAMS].paid_until(show, balance)
    room = {
        "stream_id": show.id, **await ctx.request.app[CHAT].moderation(show.id),
        "products": [p.model_dump(mode="json") for p in show.products],
        "credits": balance, "covered_until": covered_until.isoformat(), "block_s": ctx.config.credits.block_s,
        "grace_s": ctx.config.credits.grace_s,
        "min_duration_s": ctx.config.bidding.min_duration_s, "max_duration_s": ctx.config.bidding.max_duration_s,
    }
    return await ctx.render("console/shows/live.html", show=show, room_json=json.dumps(room))
