"""The console's page machinery: sign-in and roles, CSRF on every form, forms, rendering, errors as pages."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web

from server.accounts import store as accounts_store
from server.accounts.store import User
from server.config import Config, media_path
from server.errors import DomainError, PermissionDenied
from server.keys import CONFIG, DB, SESSIONS
from server.sessions import CSRF_FIELD, Session, Sessions
from server.tokens import Principal
from server.uploads import discard, read_form

SELLER = frozenset({"seller"})
ADMIN = frozenset({"admin"})
STAFF = SELLER | ADMIN
LOGIN = "/console/login"
# Scripts and styles come from this origin only: no inline script can run, whatever text a page shows.
CSP = ("default-src 'self'; img-src 'self' data: blob:{media}; media-src 'self' blob:{media}; style-src 'self'; "
       "script-src 'self'{extra_script}; connect-src 'self'; frame-src 'self'{extra_frame}; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
Files = Callable[[Config], dict[str, int]]


@dataclass
class Ctx:
    """One console request: who is signed in, and for a form post, what was sent and what was wrong."""

    request: web.Request
    session: Session
    user: User
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    @property
    def me(self) -> Principal:
        return self.session.principal

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def config(self) -> Config:
        return self.request.app[CONFIG]

    @property
    def sessions(self) -> Sessions:
        return self.request.app[SESSIONS]

    @property
    def form(self) -> dict[str, str]:
        """The posted fields, the last value of each."""
        return {name: values[-1] for name, values in self.fields.items() if values}

    def int_query(self, name: str, default: int = 1) -> int:
        raw = self.request.query.get(name, "")
        return int(raw) if raw.isdigit() and len(raw) < 10 else default

    async def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        """A page in the console's layout, with the user, the CSRF token and any flashed messages."""
        flashes = await self.sessions.take_flash(self.session)
        if self.error:
            flashes.append(("error", self.error))
        return page(self.request, template, status, user=self.user, csrf=self.session.csrf, flashes=flashes,
                    form=self.form, errors=self.errors, **context)

    async def redirect(self, location: str, message: str | None = None, kind: str = "ok") -> web.Response:
        """303 to a page after a form post (so a reload never posts twice), with a message for it."""
        if message:
            await self.sessions.flash(self.session, kind, message)
        return web.Response(status=303, headers={"Location": location})


PageHandler = Callable[[Ctx], Awaitable[web.StreamResponse]]


def _secure_headers(response: web.StreamResponse, config: Config) -> None:
    """Headers of every console page: no caching of private data, no framing, scripts from here only."""
    production_checkout = config.mode == "production"
    public = urlsplit(config.server.public_url)
    response.headers["Content-Security-Policy"] = CSP.format(
        # Links in the control room's data name the public URL, which may not be where the console was opened.
        media=f" {public.scheme}://{public.netloc}" if public.netloc else "",
        extra_script=" https://checkout.razorpay.com" if production_checkout else "",
        extra_frame=" https://api.razorpay.com" if production_checkout else "",
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"


def page(request: web.Request, template: str, http_status: int = 200, **context: Any) -> web.Response:
    """Any console page: the layout's defaults under the context, and the console's headers."""
    response = aiohttp_jinja2.render_template(template, request, {
        "user": None, "flashes": [], "csrf_field": CSRF_FIELD, "path": request.path, **context,
    }, status=http_status)
    _secure_headers(response, request.app[CONFIG])
    return response


def error_page(request: web.Request, status: int, title: str, message: str,
               user: User | None = None) -> web.Response:
    """A refusal or failure as a page of its own, with the status it stands for."""
    return page(request, "console/error.html", status, user=user, status=status, title=title, message=message)


_TITLES = {400: "That did not work", 401: "Sign in", 403: "Not allowed", 404: "Not found", 409: "Not possible now",
           413: "Too large", 429: "Slow down", 503: "Try again shortly"}


class Console:
    """The console's pages (GET) and form actions (POST), registered like any routes."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = []

    def page(self, path: str, *, roles: Iterable[str] = STAFF) -> Callable[[PageHandler], PageHandler]:
        """A page for signed-in users of these roles; domain errors become error pages."""

        def decorate(handler: PageHandler) -> PageHandler:
            self.routes.append(("GET", path, _guard(handler, frozenset(roles), post=False)))
            return handler

        return decorate

    def action(self, path: str, *, roles: Iterable[str] = STAFF, retry: PageHandler | None = None,
               files: Files | None = None) -> Callable[[PageHandler], PageHandler]:
        """A form post: the CSRF token is checked, then the handler runs; on a domain error `retry` shows
        the form again with what was sent and what was wrong (else the error page)."""

        def decorate(handler: PageHandler) -> PageHandler:
            self.routes.append(("POST", path, _guard(handler, frozenset(roles), post=True, retry=retry, files=files)))
            return handler

        return decorate

    def register(self, router: web.UrlDispatcher) -> None:
        for method, path, handler in self.routes:
            router.add_route(method, path, handler)


async def signed_in(request: web.Request) -> tuple[Session, User] | None:
    """The session and the user's row (with seller columns), or None if not signed in or deactivated."""
    sessions = request.app[SESSIONS]
    session = await sessions.load(request)
    if session is None:
        return None
    user = await accounts_store.fetch_user(request.app[DB], session.user_id)
    if user is None or not user.is_active:
        await sessions.end(session)
        return None
    return session, user


def _guard(handler: PageHandler, roles: frozenset[str], *, post: bool, retry: PageHandler | None = None,
           files: Files | None = None) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        found = await signed_in(request)
        if found is None:
            target = request.path_qs if not post else request.path
            return web.Response(status=303, headers={"Location": f"{LOGIN}?next={quote(target, safe='')}"})
        session, user = found
        if user.role not in roles:
            what = "admins" if roles == ADMIN else "sellers" if roles == SELLER else "sellers and admins"
            return error_page(request, 403, "Not allowed", f"This page is for {what}.", user)
        ctx = Ctx(request, session, user)
        try:
            try:
                if post:
                    config = request.app[CONFIG]
                    form = await read_form(request, files(config) if files else {}, media_path(config) / "tmp")
                    ctx.fields, ctx.files = form.fields, form.files
                    if not session.csrf_ok(ctx.form.get(CSRF_FIELD)):
                        return error_page(request, 403, "Not allowed",
                                          "The form's security token is missing or out of date. Go back, reload "
                                          "the page and send it again.", user)
                return await handler(ctx)
            finally:
                for path in ctx.files.values():  # the files a handler did not keep
                    await discard(path)
        except DomainError as exc:
            if post and retry is not None and exc.status != 413:
                ctx.error = exc.message
                ctx.errors = dict(exc.fields or {})
                response = await retry(ctx)
                response.set_status(exc.status)
                return response
            return error_page(request, exc.status, _TITLES.get(exc.status, "That did not work"), exc.message, user)

    return guarded


def require(condition: bool, message: str) -> None:
    """Refuse with 403 unless the condition holds (a seller's page about someone else's object)."""
    if not condition:
        raise PermissionDenied(message)
