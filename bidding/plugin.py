"""The bidding package as the app factory sees it: the service, its endpoints, the `bid` frame, the sweeper."""

from __future__ import annotations

from aiohttp import web

from bidding.keys import AUCTIONS
from bidding.routes import api
from bidding.service import Auctions
from bidding.socket import BidFrame, place_bid, running_auction
from rooms.commands import register_command, register_hello_part
from rooms.keys import BRIDGE, RELAY
from server.background import periodic
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin


def build(app: web.Application) -> None:
    app[AUCTIONS] = Auctions(app[DB], app[REDIS], app[BRIDGE], app[RELAY], app[CONFIG].bidding)


async def sweep_step(app: web.Application) -> None:
    await app[AUCTIONS].sweep()


def setup(app: web.Application) -> None:
    register_command(app, "bid", BidFrame, place_bid, sign_in="Sign in to bid: connect with ?token=<access token>.")
    register_hello_part(app, "stream", "bidding", running_auction)


sweeper_ctx = periodic("auction-sweeper", lambda app: app[CONFIG].bidding.sweep_interval_s, sweep_step)
plugin = Plugin(routers=(api,), lifecycles=(sweeper_ctx,), setup=setup, build=build)
