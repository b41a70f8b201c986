"""Where the orders service lives on the app."""

from __future__ import annotations

from aiohttp import web

from commerce.orders.service import Orders

ORDERS = web.AppKey("orders", Orders)
