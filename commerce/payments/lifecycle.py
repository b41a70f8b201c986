"""The Razorpay gateway of the app, the local Razorpay in development, and the refund sweeper."""

from __future__ import annotations

import logging

from aiohttp import web

from commerce.payments.gateway import GATEWAY, Gateway
from commerce.payments.keys import PAYMENTS
from commerce.payments.razorpay_local import mount_local_razorpay
from server.background import periodic
from server.keys import CONFIG

log = logging.getLogger(__name__)
LOCAL_PREFIX = "/dev/razorpay"
REFUND_SWEEP_S = 30.0


def setup_gateway(app: web.Application) -> None:
    """Point the SDK at the configured Razorpay; in development without one, at the local server
    mounted on this app (which also delivers its webhooks back here)."""
    config = app[CONFIG]
    base_url = config.razorpay.base_url
    if not base_url:
        host = "127.0.0.1" if config.server.host in ("0.0.0.0", "::", "") else config.server.host
        own = f"http://{host}:{config.server.port}"
        mount_local_razorpay(app, LOCAL_PREFIX, config.razorpay.key_id, config.razorpay.key_secret,
                             config.razorpay.webhook_secret, f"{own}/api/payments/webhook/")
        base_url = own + LOCAL_PREFIX
    app[GATEWAY] = Gateway(config.razorpay, base_url)


async def refund_step(app: web.Application) -> None:
    issued = await app[PAYMENTS].issue_due_refunds()
    if issued:
        log.info("issued %d refund(s)", issued)


refund_ctx = periodic("refunds", lambda app: REFUND_SWEEP_S, refund_step)
