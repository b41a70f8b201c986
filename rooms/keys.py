"""Where the rooms' process-wide objects live on the app."""

from __future__ import annotations

from aiohttp import web

from rooms.bridge import Bridge
from rooms.hub import Hub
from rooms.presence import Presence

BRIDGE = web.AppKey("room_bridge", Bridge)
HUB = web.AppKey("room_hub", Hub)
PRESENCE = web.AppKey("presence", Presence)
