"""The commerce package as the app factory sees it, and its composition root: the services built once, and
what reacts to an order change composed here (so orders imports none of the packages that react to it)."""

from __future__ import annotations

import functools

from aiohttp import web

from commerce.cart.keys import CART
from commerce.cart.routes import api as cart_api
from commerce.cart.service import Cart
from commerce.catalog.keys import CATALOG
from commerce.catalog.routes import api as catalog_api
from commerce.catalog.service import Catalog
from commerce.earnings.effects import record_earnings
from commerce.earnings.keys import EARNINGS
from commerce.earnings.routes import api as earnings_api
from commerce.earnings.service import Earnings
from commerce.invoices.keys import INVOICES
from commerce.invoices.routes import api as invoices_api
from commerce.invoices.service import Invoices, number_paid_order
from commerce.mail.effects import order_mail
from commerce.mail.sender import mail_ctx
from commerce.orders.expiry import expiry_ctx
from commerce.orders.hooks import OrderEffect
from commerce.orders.keys import ORDER_EFFECTS, ORDERS
from commerce.orders.notifications import notify_buyer, notify_seller
from commerce.orders.routes import api as orders_api
from commerce.orders.service import Orders
from commerce.payments.effects import refund_when_paid_order_cancelled
from commerce.payments.gateway import GATEWAY
from commerce.payments.keys import PAYMENTS
from commerce.payments.lifecycle import refund_ctx, setup_gateway
from commerce.payments.routes import api as payments_api
from commerce.payments.service import Payments
from server.config import CommerceConfig, media_path
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin


def order_effects(commerce: CommerceConfig) -> tuple[OrderEffect, ...]:
    """Every effect of an order change, in the order they run, each in the change's transaction."""
    return (
        functools.partial(record_earnings, commerce=commerce),
        number_paid_order,
        refund_when_paid_order_cancelled,
        functools.partial(order_mail, commerce=commerce),
        notify_buyer,
        notify_seller,
    )


def build(app: web.Application) -> None:
    config = app[CONFIG]
    pool, media = app[DB], media_path(config)
    orders = Orders(pool, config.commerce, (*order_effects(config.commerce), *app.get(ORDER_EFFECTS, [])))
    app[ORDERS] = orders
    app[CATALOG] = Catalog(pool, app[REDIS], config.commerce, media)
    app[CART] = Cart(pool)
    app[EARNINGS] = Earnings(pool, config.commerce)
    app[INVOICES] = Invoices(pool, config.commerce, media)
    app[PAYMENTS] = Payments(pool, app[GATEWAY], config.razorpay, orders)


plugin = Plugin(
    routers=(catalog_api, cart_api, orders_api, invoices_api, payments_api, earnings_api),
    lifecycles=(expiry_ctx, refund_ctx, mail_ctx),
    setup=setup_gateway,
    build=build,
)
