"""Where the auction and win services live on the app."""

from __future__ import annotations

from aiohttp import web

from bidding.service import Auctions
from bidding.wins import Wins

AUCTIONS = web.AppKey("auctions", Auctions)
WINS = web.AppKey("wins", Wins)
