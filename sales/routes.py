"""HTTP endpoints of flash sales."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sales.keys import FLASH_SALES
from sales.schemas import ClaimIn, ClaimOut, FlashSaleIn, FlashSaleOut
from server.api import ApiRouter, path_id
from server.tokens import Principal

api = ApiRouter("flash sales")
SHOW = r"/api/livestreams/livestreams/{id:\d+}/flash-sales/"
ONE = r"/api/livestreams/flash-sales/{id:\d+}/"


@api.post(SHOW, roles=["seller"], body=FlashSaleIn, response=FlashSaleOut, status=201,
          summary="Put units of one of your products on sale in your live show (flash_sale_started); without "
                  "price or discount_percent it is buy-it-now at the product's price. 409 not_live, out_of_stock")
async def start_flash_sale(request: web.Request, me: Principal, body: FlashSaleIn) -> FlashSaleOut:
    return await request.app[FLASH_SALES].start(me, path_id(request), body)


@api.get(SHOW, auth="public", response=list[FlashSaleOut], summary="A show's flash sales, newest first")
async def list_flash_sales(request: web.Request) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in await request.app[FLASH_SALES].of_stream(path_id(request))]


@api.get(ONE, auth="public", response=FlashSaleOut, summary="A flash sale")
async def get_flash_sale(request: web.Request) -> FlashSaleOut:
    return await request.app[FLASH_SALES].get(path_id(request))


@api.post(ONE + "claim/", roles=["buyer"], body=ClaimIn, response=ClaimOut, status=201,
          summary="Claim units into your cart at the sale price, held for commerce.flash_hold_s; 409 sold_out, "
                  "limit_reached, sale_ended")
async def claim_flash_sale(request: web.Request, me: Principal, body: ClaimIn) -> ClaimOut:
    return await request.app[FLASH_SALES].claim(me, path_id(request), body.quantity)


@api.post(ONE + "end/", roles=["seller", "admin"], response=FlashSaleOut,
          summary="End a flash sale early (flash_sale_ended); 409 sale_ended")
async def end_flash_sale(request: web.Request, me: Principal) -> FlashSaleOut:
    return await request.app[FLASH_SALES].end(me, path_id(request))
