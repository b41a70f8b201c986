"""The console as the app factory sees it: its pages, registered at app creation."""

from aiohttp import web

from server.console import admin, auth, dashboard, money, orders, products, reels, shows
from server.plugin import Plugin


def setup(app: web.Application) -> None:
    auth.register(app.router)
    for module in (dashboard, products, shows, orders, money, reels, admin):
        module.pages.register(app.router)


plugin = Plugin(routers=(), setup=setup)
