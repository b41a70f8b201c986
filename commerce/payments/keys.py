"""Where the payments service lives on the app."""

from __future__ import annotations

from aiohttp import web

from commerce.payments.service import Payments

PAYMENTS = web.AppKey("payments", Payments)
