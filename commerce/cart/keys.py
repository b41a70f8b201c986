"""Where the cart service lives on the app."""

from __future__ import annotations

from aiohttp import web

from commerce.cart.service import Cart

CART = web.AppKey("cart", Cart)
