"""The rooms package as the app factory sees it: livestreams, chat, the sockets and the hub."""

from aiohttp import web

from rooms.chat.routes import api as chat_api
from rooms.gateway import setup_sockets
from rooms.lifecycle import hub_ctx, presence_ctx, setup_rooms
from rooms.streams.routes import api as streams_api
from server.plugin import Plugin


def setup(app: web.Application) -> None:
    setup_rooms(app)
    setup_sockets(app)


plugin = Plugin(routers=(streams_api, chat_api), lifecycles=(hub_ctx, presence_ctx), setup=setup)
