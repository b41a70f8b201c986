"""Where the auction service lives on the app."""

from __future__ import annotations

from aiohttp import web

from bidding.service import Auctions

AUCTIONS = web.AppKey("auctions", Auctions)
