"""The rooms package as the app factory sees it: livestreams, chat, notifications, the sockets, the hub."""

from aiohttp import web

from rooms.chat.routes import api as chat_api
from rooms.gateway import chat_socket, livestream_socket
from rooms.lifecycle import heartbeat_ctx, hub_ctx, meter_ctx, notification_push_ctx, presence_ctx, setup_rooms
from rooms.notify_routes import api as notifications_api
from rooms.notify_routes import notifications_socket
from rooms.streams.routes import api as streams_api
from server.plugin import Plugin


def setup(app: web.Application) -> None:
    setup_rooms(app)
    app.router.add_get(r"/ws/livestream/{id:\d+}/", livestream_socket)
    app.router.add_get(r"/ws/chat/{id:\d+}/", chat_socket)
    app.router.add_get("/ws/notifications/", notifications_socket)


plugin = Plugin(
    routers=(streams_api, chat_api, notifications_api),
    lifecycles=(hub_ctx, presence_ctx, heartbeat_ctx, meter_ctx, notification_push_ctx),
    setup=setup,
)
