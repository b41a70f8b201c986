"""The bidding package as the app factory sees it: the services, endpoints, the `bid` frame, the sweeper of
auctions and unpaid wins, and what an order's payment does to a win."""

from __future__ import annotations

from aiohttp import web

from bidding.keys import AUCTIONS, WINS
from bidding.routes import api
from bidding.service import Auctions
from bidding.socket import BidFrame, place_bid, running_auction
from bidding.wins import Wins, settle_on_order_change
from commerce.orders.keys import ORDER_EFFECTS
from rooms.commands import register_command, register_hello_part
from rooms.keys import BRIDGE, RELAY
from server.background import periodic
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin


def build(app: web.Application) -> None:
    auctions = Auctions(app[DB], app[REDIS], app[BRIDGE], app[RELAY], app[CONFIG].bidding)
    app[AUCTIONS] = auctions
    app[WINS] = Wins(app[DB], auctions, app[CONFIG].bidding)


async def sweep_step(app: web.Application) -> None:
    await app[AUCTIONS].sweep()
    await app[WINS].sweep()


def setup(app: web.Application) -> None:
    register_command(app, "bid", BidFrame, place_bid, sign_in="Sign in to bid: connect with ?token=<access token>.")
    register_hello_part(app, "stream", "bidding", running_auction, personal=True)
    app.setdefault(ORDER_EFFECTS, []).append(settle_on_order_change)


sweeper_ctx = periodic("auction-sweeper", lambda app: app[CONFIG].bidding.sweep_interval_s, sweep_step)
plugin = Plugin(routers=(api,), lifecycles=(sweeper_ctx,), setup=setup, build=build)
