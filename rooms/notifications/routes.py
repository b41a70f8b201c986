"""HTTP endpoints of notifications, and the /ws/notifications/ socket."""

from __future__ import annotations

import functools
import logging
from typing import Any

from aiohttp import web

from rooms.gateway import Opening, greet, room_socket, socket_user
from rooms.keys import HUB, USER_SOCKET_HOOKS
from rooms.names import RoomName
from rooms.notifications import service
from server.api import ApiRouter, PageQuery, page_of, path_id
from server.errors import NotAuthenticated, NotFound
from server.keys import DB
from server.tokens import Principal

api = ApiRouter("notifications")
log = logging.getLogger(__name__)


@api.get("/api/notifications/", query=PageQuery, summary="Your notifications, newest first, with the unread count")
async def list_notifications(request: web.Request, me: Principal, query: PageQuery) -> web.Response:
    total, unread, items = await service.page(request.app[DB], me.user_id, query.page_size, query.offset)
    return page_of(request, query, total, items, extra={"unread": unread})


@api.put("/api/notifications/read-all/", summary="Mark all your notifications read; how many were unread")
async def read_all(request: web.Request, me: Principal) -> dict[str, int]:
    return {"marked": await service.mark_all_read(request.app[DB], me.user_id)}


@api.put(r"/api/notifications/{id:\d+}/read/", summary="Mark a notification read")
async def read(request: web.Request, me: Principal) -> dict[str, Any]:
    item = await service.mark_read(request.app[DB], me.user_id, path_id(request))
    if item is None:
        raise NotFound("No such notification of yours.", code="notification_not_found")
    return item


@api.delete(r"/api/notifications/{id:\d+}/", status=204, summary="Delete a notification")
async def delete(request: web.Request, me: Principal) -> None:
    if not await service.delete(request.app[DB], me.user_id, path_id(request)):
        raise NotFound("No such notification of yours.", code="notification_not_found")


async def open_user_room(request: web.Request) -> Opening:
    """The signed-in user's own room; refused (401) before the upgrade without a valid token."""
    me = await socket_user(request)
    if me is None:
        raise NotAuthenticated("Connect with ?token=<access token>.")
    app = request.app
    room = RoomName.user(me.user_id)
    hooks = app.get(USER_SOCKET_HOOKS, [])

    async def state() -> dict[str, Any]:  # read by greet after the room's position (rooms.gateway.greet)
        _, unread, _ = await service.page(app[DB], me.user_id, 0, 0)
        return {"unread": unread}

    async def opened() -> None:
        for hook in hooks:
            await hook(app, me, True)

    async def left() -> None:
        if app[HUB].local_count(room) == 0:
            for hook in hooks:
                try:
                    await hook(app, me, False)
                except Exception:  # the socket is gone either way; a lost "offline" push expires by TTL
                    log.warning("user socket hook failed on close", exc_info=True)

    return Opening(room, me, functools.partial(greet, request, room=room, base=state), left,
                   on_open=opened)


# GET /ws/notifications/: the signed-in user's notifications and private events, live.
notifications_socket = functools.partial(room_socket, open_room=open_user_room)
