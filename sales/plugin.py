"""The sales package as the app factory sees it: flash sales and giveaways, their endpoints and socket frames,
the rounds that send their counts, end them and draw them."""

from __future__ import annotations

from aiohttp import web

from commerce.orders.keys import ORDERS
from rooms.commands import register_command, register_hello_part
from rooms.keys import MEMBER_HOOKS, RELAY
from rooms.names import RoomName
from sales.giveaways import Giveaways
from sales.keys import FLASH_SALES, GIVEAWAYS
from sales.routes import api
from sales.service import FlashSales
from sales.socket import ClaimFrame, EnterFrame, claim, enter_giveaway, open_giveaway, open_sales
from server.background import periodic
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin
from server.tokens import Principal


def build(app: web.Application) -> None:
    config = app[CONFIG]
    app[FLASH_SALES] = FlashSales(app[DB], app[REDIS], app[RELAY], config.sales, config.commerce)
    app[GIVEAWAYS] = Giveaways(app[DB], app[REDIS], app[RELAY], app[ORDERS], config.sales)


async def member_changed(app: web.Application, room: RoomName, user: Principal, joined: bool) -> None:
    if room.kind == "stream":
        await app[GIVEAWAYS].member(room, user.user_id, joined)


def setup(app: web.Application) -> None:
    register_command(app, "claim", ClaimFrame, claim, sign_in="Sign in to claim: connect with ?token=<access token>.")
    register_command(app, "enter_giveaway", EnterFrame, enter_giveaway,
                     sign_in="Sign in to enter: connect with ?token=<access token>.")
    register_hello_part(app, "stream", "flash_sales", open_sales)
    register_hello_part(app, "stream", "giveaway", open_giveaway)
    app.setdefault(MEMBER_HOOKS, []).append(member_changed)


async def update_step(app: web.Application) -> None:
    await app[FLASH_SALES].send_updates()
    await app[GIVEAWAYS].send_updates()


async def sweep_step(app: web.Application) -> None:
    await app[FLASH_SALES].sweep()
    await app[GIVEAWAYS].sweep()


updates_ctx = periodic("flash-sale-updates", lambda app: app[CONFIG].sales.update_interval_s, update_step)
sweeper_ctx = periodic("flash-sale-sweeper", lambda app: app[CONFIG].sales.sweep_interval_s, sweep_step)
plugin = Plugin(routers=(api,), lifecycles=(updates_ctx, sweeper_ctx), setup=setup, build=build)
