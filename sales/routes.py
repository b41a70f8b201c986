"""HTTP endpoints of flash sales."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sales.keys import FLASH_SALES, GIVEAWAYS
from sales.schemas import ClaimIn, ClaimOut, EnteredOut, FlashSaleIn, FlashSaleOut, GiveawayIn, GiveawayOut
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("flash sales")
SHOW = r"/api/livestreams/livestreams/{id:\d+}/flash-sales/"
ONE = r"/api/livestreams/flash-sales/{id:\d+}/"


@api.post(SHOW, roles=["seller"], body=FlashSaleIn, response=FlashSaleOut, status=201,
          conflicts=["not_live", "out_of_stock"],
          summary="Put units of one of your products on sale in your live show (flash_sale_started); without "
                  "price or discount_percent it is buy-it-now at the product's price")
async def start_flash_sale(request: web.Request, me: Principal, body: FlashSaleIn) -> FlashSaleOut:
    return await request.app[FLASH_SALES].start(me, path_id(request), body)


@api.get(SHOW, auth="public", response=list[FlashSaleOut], summary="A show's flash sales, newest first")
async def list_flash_sales(request: web.Request) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in await request.app[FLASH_SALES].of_stream(path_id(request))]


@api.get(ONE, auth="public", response=FlashSaleOut, summary="A flash sale")
async def get_flash_sale(request: web.Request) -> FlashSaleOut:
    return await request.app[FLASH_SALES].get(path_id(request))


@api.post(ONE + "claim/", roles=["buyer"], body=ClaimIn, response=ClaimOut, status=201,
          conflicts=["sold_out", "limit_reached", "sale_ended"],
          summary="Claim units into your cart at the sale price, held for commerce.flash_hold_s")
async def claim_flash_sale(request: web.Request, me: Principal, body: ClaimIn) -> ClaimOut:
    return await request.app[FLASH_SALES].claim(me, path_id(request), body.quantity)


@api.post(ONE + "end/", roles=["seller", "admin"], response=FlashSaleOut, conflicts=["sale_ended"],
          summary="End a flash sale early (flash_sale_ended)")
async def end_flash_sale(request: web.Request, me: Principal) -> FlashSaleOut:
    return await request.app[FLASH_SALES].end(me, path_id(request))


GIVEAWAYS_OF_SHOW = r"/api/livestreams/livestreams/{id:\d+}/giveaways/"
GIVEAWAY = r"/api/livestreams/giveaways/{id:\d+}/"


@api.post(GIVEAWAYS_OF_SHOW, roles=["seller"], body=GiveawayIn, response=GiveawayOut, status=201,
          conflicts=["not_live", "giveaway_open", "out_of_stock"],
          summary="Give one unit of a product away in your live show (giveaway_started); one at a time")
async def start_giveaway(request: web.Request, me: Principal, body: GiveawayIn) -> GiveawayOut:
    return await request.app[GIVEAWAYS].start(me, path_id(request), body)


@api.get(GIVEAWAY, auth="public", response=GiveawayOut,
         summary="A giveaway; after the draw, its winner and what audits the draw (seed, entries_hash)")
async def get_giveaway(request: web.Request) -> GiveawayOut:
    return await request.app[GIVEAWAYS].get(path_id(request))


@api.post(GIVEAWAY + "enter/", roles=["buyer", "seller"], response=EnteredOut, status=201,
          conflicts=["already_entered", "giveaway_ended"],
          summary="Enter while connected to the show's room; 403 not_eligible, not_in_room")
async def enter_giveaway(request: web.Request, me: Principal) -> EnteredOut:
    return await request.app[GIVEAWAYS].enter(me, path_id(request))


@api.post(GIVEAWAY + "draw/", roles=["seller", "admin"], response=GiveawayOut, conflicts=["giveaway_ended"],
          summary="Draw now instead of at the end (giveaway_ended)")
async def draw_giveaway(request: web.Request, me: Principal) -> GiveawayOut:
    return await request.app[GIVEAWAYS].draw(me, path_id(request))
