"""The bidding package as the app factory sees it: the auction endpoints and the closing sweeper."""

from aiohttp import web

from bidding.routes import api, auctions_of
from server.background import periodic
from server.keys import CONFIG
from server.plugin import Plugin


async def sweep_step(app: web.Application) -> None:
    await auctions_of(app).sweep()


sweeper_ctx = periodic("auction-sweeper", lambda app: app[CONFIG].bidding.sweep_interval_s, sweep_step)
plugin = Plugin(routers=(api,), lifecycles=(sweeper_ctx,))
