"""Where the livestream service lives on the app."""

from __future__ import annotations

from aiohttp import web

from rooms.streams.service import Streams

STREAMS = web.AppKey("streams", Streams)
