"""The commerce package as the app factory sees it: its endpoint groups and background lifecycles."""

from commerce.cart.routes import api as cart_api
from commerce.catalog.routes import api as catalog_api
from commerce.earnings.routes import api as earnings_api
from commerce.mail.sender import mail_ctx
from commerce.orders.expiry import expiry_ctx
from commerce.orders.routes import api as orders_api
from commerce.payments.lifecycle import refund_ctx, setup_gateway
from commerce.payments.routes import api as payments_api
from server.plugin import Plugin

plugin = Plugin(
    routers=(catalog_api, cart_api, orders_api, payments_api, earnings_api),
    lifecycles=(expiry_ctx, refund_ctx, mail_ctx),
    setup=setup_gateway,
)
