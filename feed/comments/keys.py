"""Where the comments service lives on the app."""

from __future__ import annotations

from aiohttp import web

from feed.comments.service import Comments

COMMENTS = web.AppKey("comments", Comments)
