"""The seller's reels: upload with product tags, and their counters."""

from __future__ import annotations

from aiohttp import web

from feed.videos.keys import VIDEOS
from server.config import Config
from server.console import store
from server.console.web import SELLER, Console, Ctx
from server.keys import DB
from server.uploads import Form

pages = Console()


def _reel_limits(config: Config) -> dict[str, int]:
    return {"video_file": config.feed.max_video_bytes, "image_file": config.commerce.max_image_bytes}


@pages.page("/console/reels/", roles=SELLER)
async def reel_list(ctx: Ctx) -> web.StreamResponse:
    size = ctx.config.console.page_size
    page = ctx.int_query("page")
    count, reels = await ctx.request.app[VIDEOS].by_creator(ctx.me, ctx.me.user_id, size, (page - 1) * size)
    products = await store.seller_products(ctx.app[DB], ctx.me.user_id)
    return await ctx.render("console/reels.html", reels=reels, count=count, page=page,
                            pages=max(1, -(-count // size)), products=products)


@pages.action("/console/reels/", roles=SELLER, retry=reel_list, files=_reel_limits)
async def upload(ctx: Ctx) -> web.StreamResponse:
    fields = {k: [v for v in values if v] for k, values in ctx.fields.items()}
    form = Form(fields, dict(ctx.files))
    ctx.files.clear()  # the service keeps or removes them
    reel = await ctx.request.app[VIDEOS].upload(ctx.me, form)
    return await ctx.redirect("/console/reels/", f"Reel “{reel.title}” published.")
