"""Chat as the app factory sees it: the service, its endpoints, its socket frame and hello part."""

from __future__ import annotations

from aiohttp import web

from rooms.chat.keys import CHAT
from rooms.chat.routes import api
from rooms.chat.service import Chat
from rooms.chat.socket import ChatFrame, recent_chat, send_chat
from rooms.commands import register_command, register_hello_part
from rooms.keys import BRIDGE
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin


def build(app: web.Application) -> None:
    app[CHAT] = Chat(app[DB], app[REDIS], app[BRIDGE], app[CONFIG].rooms)


def setup(app: web.Application) -> None:
    register_command(app, "chat", ChatFrame, send_chat,
                     sign_in="Sign in to chat: connect with ?token=<access token>.")
    register_hello_part(app, "stream", "chat", recent_chat)


plugin = Plugin(routers=(api,), setup=setup, build=build)
