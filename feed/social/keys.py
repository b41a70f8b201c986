"""Where the social service lives on the app."""

from __future__ import annotations

from aiohttp import web

from feed.social.service import Social

SOCIAL = web.AppKey("social", Social)
