"""Where the chat service lives on the app."""

from __future__ import annotations

from aiohttp import web

from rooms.chat.service import Chat

CHAT = web.AppKey("chat", Chat)
