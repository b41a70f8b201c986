"""Where the earnings service lives on the app."""

from __future__ import annotations

from aiohttp import web

from commerce.earnings.service import Earnings

EARNINGS = web.AppKey("earnings", Earnings)
