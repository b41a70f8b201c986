"""The show's sockets: /ws/livestream/{id}/ (every event of its room) and /ws/chat/{id}/ (chat and viewers)."""

from __future__ import annotations

import functools
from typing import Any

from aiohttp import web

from rooms.events import direct_frame
from rooms.gateway import Opening, greet, room_socket, socket_user
from rooms.hub import Member
from rooms.keys import BRIDGE, HUB
from rooms.names import RoomName
from rooms.streams.keys import STREAMS
from server.api import path_id

CHAT_TYPES = frozenset({"chat", "chat_deleted", "chat_pinned", "viewers", "stream_ended"})


async def open_show(request: web.Request) -> Opening:
    """The show's room for the caller; 404 (before the upgrade) for a show that does not exist."""
    stream_id = path_id(request)
    me = await socket_user(request)
    room = RoomName.stream(stream_id)
    # A watched show is known to this process from its last hello: no query per viewer (a reconnect storm).
    local = request.app[HUB].rooms.get(room)
    kept = local.kept("hello") if local is not None else None
    livestream = kept["livestream"] if kept else (await request.app[STREAMS].get(stream_id)).model_dump(mode="json")
    if livestream["status"] == "ended":
        return Opening(room, me, functools.partial(_ended, request, room, livestream), closes=True)
    return Opening(room, me, functools.partial(greet, request, room=room, shared=True,
                                               base=functools.partial(_show_state, request, stream_id)))


async def _show_state(request: web.Request, stream_id: int) -> dict[str, Any]:
    """The show as hello tells it, read after the room's position (rooms.gateway.greet): the check before the
    upgrade read it too early for that."""
    livestream = (await request.app[STREAMS].get(stream_id)).model_dump(mode="json")
    return {"livestream": livestream, "viewers": livestream["viewers"], "pinned_message": livestream["pinned_message"]}


async def _ended(request: web.Request, room: RoomName, livestream: dict[str, Any], member: Member) -> None:
    """To a socket opened after the show ended: `stream_ended` with the show; the caller then closes it."""
    position = await request.app[BRIDGE].position(room)
    data = {"livestream_id": livestream["id"], "reason": "ended", "livestream": livestream}
    member.go_live([direct_frame(member.codec, "stream_ended", position.epoch, position.seq, data)], position.epoch,
                   position.seq)


# GET /ws/livestream/{id}/ and GET /ws/chat/{id}/ (the chat and viewer events of the same room). Partials,
# not wrapper coroutines: a wrapper's frame would live as long as each connection.
livestream_socket = functools.partial(room_socket, open_room=open_show)
chat_socket = functools.partial(room_socket, open_room=open_show, types=CHAT_TYPES)
