"""The admin's pages: sellers to verify, reported reels to review, withdrawals to decide, users."""

from __future__ import annotations

from aiohttp import web

from commerce.earnings.keys import EARNINGS
from commerce.earnings.schemas import DecideIn
from feed.comments.keys import COMMENTS
from feed.schemas import ReviewIn
from server.accounts.keys import ACCOUNTS
from server.api import validate
from server.console import store
from server.console.web import ADMIN, Console, Ctx
from server.keys import DB

pages = Console()


def _paging(ctx: Ctx) -> tuple[int, int, int]:
    size = ctx.config.console.page_size
    page = ctx.int_query("page")
    return page, size, (page - 1) * size


@pages.page("/console/admin/sellers/", roles=ADMIN)
async def sellers(ctx: Ctx) -> web.StreamResponse:
    page, size, offset = _paging(ctx)
    verified = ctx.request.query.get("verified") == "1"
    count, rows = await store.sellers(ctx.app[DB], verified, size, offset)
    return await ctx.render("console/admin/sellers.html", sellers=rows, count=count, page=page,
                            pages=max(1, -(-count // size)), verified=verified)


@pages.action(r"/console/admin/sellers/{id:\d+}/verify", roles=ADMIN)
async def verify_seller(ctx: Ctx) -> web.StreamResponse:
    user = await ctx.request.app[ACCOUNTS].verify_seller(ctx.me, int(ctx.request.match_info["id"]))
    return await ctx.redirect("/console/admin/sellers/", f"{user.username} is verified.")


@pages.page("/console/admin/reports/", roles=ADMIN)
async def reports(ctx: Ctx) -> web.StreamResponse:
    page, size, offset = _paging(ctx)
    count, rows = await ctx.request.app[COMMENTS].reported(size, offset)
    return await ctx.render("console/admin/reports.html", reports=rows, count=count, page=page,
                            pages=max(1, -(-count // size)))


@pages.action(r"/console/admin/reports/{id:\d+}", roles=ADMIN)
async def review(ctx: Ctx) -> web.StreamResponse:
    video_id = int(ctx.request.match_info["id"])
    body = validate(ReviewIn, {"action": ctx.form.get("action", "")})
    await ctx.request.app[COMMENTS].review(ctx.me, video_id, body.action)
    done = "hidden" if body.action == "hide" else "kept"
    return await ctx.redirect("/console/admin/reports/", f"Reel #{video_id} {done}; its reports are closed.")


@pages.page("/console/admin/withdrawals/", roles=ADMIN)
async def withdrawals(ctx: Ctx) -> web.StreamResponse:
    page, size, offset = _paging(ctx)
    status = ctx.request.query.get("status", "requested")
    if status not in ("requested", "approved", "rejected", "all"):
        status = "requested"
    count, rows = await ctx.request.app[EARNINGS].withdrawals(None, None if status == "all" else status, size, offset)
    return await ctx.render("console/admin/withdrawals.html", withdrawals=rows, count=count, page=page,
                            pages=max(1, -(-count // size)), filter_status=status)


@pages.action(r"/console/admin/withdrawals/{id:\d+}", roles=ADMIN)
async def decide(ctx: Ctx) -> web.StreamResponse:
    withdrawal_id = int(ctx.request.match_info["id"])
    body = validate(DecideIn, {"note": ctx.form.get("note", "")})
    approve = ctx.form.get("decision") == "approve"
    out = await ctx.request.app[EARNINGS].decide(ctx.me, withdrawal_id, approve, body.note)
    return await ctx.redirect("/console/admin/withdrawals/", f"Withdrawal #{out.id} {out.status}.")


@pages.page("/console/admin/users/", roles=ADMIN)
async def users(ctx: Ctx) -> web.StreamResponse:
    page, size, offset = _paging(ctx)
    search = ctx.request.query.get("search", "").strip()[:100] or None
    count, rows = await store.users(ctx.app[DB], search, size, offset)
    return await ctx.render("console/admin/users.html", users=rows, count=count, page=page,
                            pages=max(1, -(-count // size)), search=search or "")


@pages.action(r"/console/admin/users/{id:\d+}/active", roles=ADMIN)
async def set_active(ctx: Ctx) -> web.StreamResponse:
    user_id = int(ctx.request.match_info["id"])
    active = ctx.form.get("active") == "1"
    user = await ctx.request.app[ACCOUNTS].set_active(ctx.me, user_id, active)
    return await ctx.redirect("/console/admin/users/",
                              f"{user.username} {'can sign in again' if active else 'is deactivated and signed out'}.")
