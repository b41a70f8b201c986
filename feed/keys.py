"""Where the feed's process-wide objects live on the app."""

from __future__ import annotations

from aiohttp import web

from feed.leaderboard.service import Leaderboard

LEADERBOARD = web.AppKey("reels_leaderboard", Leaderboard)
