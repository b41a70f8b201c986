"""The sales package as the app factory sees it: flash sales, their endpoints, the `claim` frame, the rounds."""

from __future__ import annotations

from aiohttp import web

from rooms.commands import register_command, register_hello_part
from rooms.keys import RELAY
from sales.keys import FLASH_SALES
from sales.routes import api
from sales.service import FlashSales
from sales.socket import ClaimFrame, claim, open_sales
from server.background import periodic
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin


def build(app: web.Application) -> None:
    config = app[CONFIG]
    app[FLASH_SALES] = FlashSales(app[DB], app[REDIS], app[RELAY], config.sales, config.commerce)


def setup(app: web.Application) -> None:
    register_command(app, "claim", ClaimFrame, claim, sign_in="Sign in to claim: connect with ?token=<access token>.")
    register_hello_part(app, "stream", "flash_sales", open_sales)


async def update_step(app: web.Application) -> None:
    await app[FLASH_SALES].send_updates()


async def sweep_step(app: web.Application) -> None:
    await app[FLASH_SALES].sweep()


updates_ctx = periodic("flash-sale-updates", lambda app: app[CONFIG].sales.update_interval_s, update_step)
sweeper_ctx = periodic("flash-sale-sweeper", lambda app: app[CONFIG].sales.sweep_interval_s, sweep_step)
plugin = Plugin(routers=(api,), lifecycles=(updates_ctx, sweeper_ctx), setup=setup, build=build)
