"""Where the wishlists service lives on the app."""

from __future__ import annotations

from aiohttp import web

from feed.wishlists.service import Wishlists

WISHLISTS = web.AppKey("wishlists", Wishlists)
