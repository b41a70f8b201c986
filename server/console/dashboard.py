"""The console's first page: a seller's day at a glance, or what waits for an admin."""

from __future__ import annotations

from dataclasses import fields

from aiohttp import web

from audience.report.keys import REPORTS
from server.console import store
from server.console.web import Console, Ctx
from server.keys import DB

pages = Console()


@pages.page("/console/")
async def dashboard(ctx: Ctx) -> web.StreamResponse:
    if ctx.me.role == "admin":
        return await ctx.render("console/admin/home.html", counts=await store.admin_counts(ctx.app[DB]))
    figures = await store.dashboard(ctx.app[DB], ctx.me.user_id)
    last_show = await ctx.app[REPORTS].last_show(ctx.me)  # the report's own figures: one definition of "sold"
    return await ctx.render("console/dashboard.html", last_show=last_show,
                            **{f.name: getattr(figures, f.name) for f in fields(figures)})
