"""Where the direct-messages service lives on the app."""

from __future__ import annotations

from aiohttp import web

from audience.messages.service import Messages

MESSAGES = web.AppKey("messages", Messages)
