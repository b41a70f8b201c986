"""The rooms' plumbing as the app factory sees it: the hub, presence, heartbeat, notifications and their socket."""

from aiohttp import web

from rooms.commands import Socket, register_socket
from rooms.lifecycle import (
    heartbeat_ctx,
    hub_ctx,
    notification_push_ctx,
    presence_ctx,
    relay_ctx,
    revocations_ctx,
    setup_rooms,
)
from rooms.notifications.routes import api as notifications_api
from rooms.notifications.routes import notifications_socket
from server.plugin import Plugin


def setup(app: web.Application) -> None:
    setup_rooms(app)
    app.router.add_get("/ws/notifications/", notifications_socket)
    register_socket(app, Socket("/ws/notifications/", "user",
                                "The signed-in user's notifications and private events."))


plugin = Plugin(
    routers=(notifications_api,),
    lifecycles=(hub_ctx, revocations_ctx, presence_ctx, heartbeat_ctx, notification_push_ctx, relay_ctx),
    setup=setup,
)
