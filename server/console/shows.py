"""The seller's shows: schedule, edit, start with its credit cost, end, and the live control room."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from audience.report.keys import REPORTS
from audience.report.routes import csv_response
from bidding.keys import AUCTIONS, WINS
from bidding.schemas import OpenIn
from rooms.chat.keys import CHAT
from rooms.streams.keys import STREAMS
from rooms.streams.schemas import StreamIn, StreamOut
from rooms.streams.store import ShowFilter
from server.api import validate
from server.console import store
from server.console.charts import bar_chart, line_chart
from server.console.web import SELLER, STAFF, Console, Ctx
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
    count, shows = await ctx.request.app[STREAMS].page(ShowFilter(status=status, seller=ctx.me.user_id), size,
                                                       (page - 1) * size)
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
    auctions = await ctx.app[AUCTIONS].run_sheet(show.id)
    return await ctx.render("console/shows/detail.html", show=show, products=products, chosen=chosen,
                            auctions=auctions, block_minutes=ctx.config.credits.block_s // 60,
                            bidding=ctx.config.bidding)


@pages.action(ONE, roles=SELLER, retry=show_detail)
async def update_show(ctx: Ctx) -> web.StreamResponse:
    show = await _own_show(ctx)
    show = await ctx.request.app[STREAMS].update(ctx.me, show.id, validate(StreamIn, _stream_fields(ctx)))
    return await ctx.redirect(f"/console/shows/{show.id}", "Show saved.")


@pages.action(ONE + "/auctions", roles=SELLER, retry=show_detail)
async def add_auction(ctx: Ctx) -> web.StreamResponse:
    """An auction on the run sheet of a scheduled show (or, in a live one, at once)."""
    show = await _own_show(ctx)
    form = ctx.form
    fields = {name: form.get(name, "").strip() or None
              for name in ("product_id", "starting_price", "duration_s", "mode", "min_increment", "reserve_price")}
    auction = await ctx.app[AUCTIONS].open(ctx.me, show.id, validate(OpenIn, fields))
    done = "added to the run sheet" if auction.status == "scheduled" else "started"
    return await ctx.redirect(f"/console/shows/{show.id}", f"Auction of {auction.product_name} {done}.")


@pages.action(ONE + r"/auctions/{bidding:\d+}/second-chance", roles=SELLER, retry=show_detail)
async def second_chance(ctx: Ctx) -> web.StreamResponse:
    """Offer a lapsed win's item to the next bidder."""
    show = await _own_show(ctx)
    auction = await ctx.app[WINS].offer(ctx.me, int(ctx.request.match_info["bidding"]))
    offer = auction.second_chance
    assert offer is not None
    return await ctx.redirect(f"/console/shows/{show.id}",
                              f"{auction.product_name} offered to {offer.buyer.username} for ₹{offer.amount:,.2f} "
                              f"until {offer.expires_at:%d %b %Y, %H:%M} UTC.")


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


@pages.page(ONE + "/report", roles=STAFF)
async def show_report(ctx: Ctx) -> web.StreamResponse:
    """A show's report with its charts (its seller's, or any for an admin)."""
    report = await ctx.app[REPORTS].summary(ctx.me, int(ctx.request.match_info["id"]))
    return await ctx.render("console/shows/report.html", report=report,
                            viewers=line_chart(report.viewers_timeline, "viewers"),
                            sales=bar_chart(report.sales_timeline, "sales paid"))


@pages.page(ONE + "/report.csv", roles=STAFF)
async def show_report_csv(ctx: Ctx) -> web.StreamResponse:
    return csv_response(await ctx.app[REPORTS].summary(ctx.me, int(ctx.request.match_info["id"])))


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
        "sale_max_duration_s": ctx.config.sales.max_duration_s,
    }
    return await ctx.render("console/shows/live.html", show=show, room_json=json.dumps(room))
