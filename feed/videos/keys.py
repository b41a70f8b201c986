"""Where the reels and video categories services live on the app."""

from __future__ import annotations

from aiohttp import web

from feed.videos.categories import Categories
from feed.videos.service import Videos

VIDEOS = web.AppKey("videos", Videos)
CATEGORIES = web.AppKey("video_categories", Categories)
