"""Where the flash-sale service lives on the app."""

from __future__ import annotations

from aiohttp import web

from sales.giveaways import Giveaways
from sales.service import FlashSales

FLASH_SALES = web.AppKey("flash_sales", FlashSales)
GIVEAWAYS = web.AppKey("giveaways", Giveaways)
