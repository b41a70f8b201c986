"""Where the orders service, and the order effects other packages add, live on the app."""

from __future__ import annotations

from aiohttp import web

from commerce.orders.hooks import OrderEffect
from commerce.orders.service import Orders

ORDERS = web.AppKey("orders", Orders)
# Effects of order changes that packages above commerce add at setup (after commerce's own, in the same
# transaction): an auction's win is paid when its order is.
ORDER_EFFECTS = web.AppKey("order_effects", list[OrderEffect])
