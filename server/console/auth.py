"""Signing in and out of the console."""

from __future__ import annotations

import secrets

from aiohttp import web

from server.accounts.keys import ACCOUNTS
from server.console.web import LOGIN, STAFF, Console, Ctx, error_page, page, signed_in
from server.errors import DomainError
from server.keys import CONFIG, SESSIONS
from server.middleware import client_address
from server.sessions import CSRF_FIELD

pages = Console()
# Before sign-in there is no session to hold a CSRF token: the login form carries a random value that
# must equal this cookie's (a page of another site can neither read nor set it).
LOGIN_COOKIE = "lsc_login"


def _next(request: web.Request, raw: str | None) -> str:
    """Where to go after signing in: a console path on this site, never another site."""
    if raw and raw.startswith("/console/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/console/"


async def login_page(request: web.Request) -> web.StreamResponse:
    """GET /console/login: the form (or the dashboard for someone already signed in)."""
    if await signed_in(request) is not None:
        raise web.HTTPSeeOther(_next(request, request.query.get("next")))
    return _login_form(request, request.query.get("next", ""), "", None, 200)


def _login_form(request: web.Request, next_path: str, username: str, error: str | None,
                status: int) -> web.Response:
    token = secrets.token_urlsafe(24)
    response = page(request, "console/login.html", status, flashes=[("error", error)] if error else [],
                    csrf=token, next=next_path, username=username)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path=LOGIN, httponly=True, samesite="Strict",
                        secure=request.app[CONFIG].mode == "production")
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """POST /console/login: check the password, then start a session (sellers and admins only)."""
    form = await request.post()
    next_path = str(form.get("next", ""))
    username = str(form.get("username", "")).strip()
    token, expected = str(form.get(CSRF_FIELD, "")), request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(token.encode(), expected.encode()):
        return _login_form(request, next_path, username, "The form was out of date; sign in again.", 403)
    try:
        user_id, role = await request.app[ACCOUNTS].check_password(username, str(form.get("password", "")),
                                                             client_address(request))
    except DomainError as exc:
        return _login_form(request, next_path, username, exc.message, exc.status)
    if role not in STAFF:
        return error_page(request, 403, "Not allowed",
                          "The console is for sellers and admins. Buyers use the app.")
    sessions = request.app[SESSIONS]
    value, _ = await sessions.create(user_id, role)
    response = web.Response(status=303, headers={"Location": _next(request, next_path)})
    sessions.set_cookie(response, value)
    response.del_cookie(LOGIN_COOKIE, path=LOGIN)
    return response


@pages.action("/console/logout")
async def logout(ctx: Ctx) -> web.StreamResponse:
    await ctx.sessions.end(ctx.session)
    response = web.Response(status=303, headers={"Location": LOGIN})
    ctx.sessions.clear_cookie(response)
    return response


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently("/console/")


def register(router: web.UrlDispatcher) -> None:
    router.add_get(LOGIN, login_page)
    router.add_post(LOGIN, login)
    router.add_get("/console", home)
    pages.register(router)
