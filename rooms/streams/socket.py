"""The show's sockets: /ws/livestream/{id}/ (every event of its room) and /ws/chat/{id}/ (chat and viewers)."""

from __future__ import annotations

import functools

from aiohttp import web

from rooms.gateway import greet, last_seq_param, serve_room, socket_user
from rooms.names import RoomName
from rooms.streams.keys import STREAMS
from server.api import path_id

CHAT_TYPES = frozenset({"chat", "chat_deleted", "chat_pinned", "viewers", "stream_ended"})


async def livestream_socket(request: web.Request, types: frozenset[str] | None = None) -> web.StreamResponse:
    """GET /ws/livestream/{id}/: every event of the show's room (with `types`, only those)."""
    stream_id = path_id(request)
    me = await socket_user(request)
    last_seq = last_seq_param(request)
    room = RoomName.stream(stream_id)
    # 404 before the upgrade. The show is passed inline, so only the greeting holds it, and only until hello.
    return await serve_room(request, room, me, types=types, greet=functools.partial(
        greet, request, room=room, last_seq=last_seq,
        base=await _hello_base(request, stream_id),
    ))


async def _hello_base(request: web.Request, stream_id: int) -> dict[str, object]:
    """The show's own part of hello."""
    livestream = (await request.app[STREAMS].get(stream_id)).model_dump(mode="json")
    return {"livestream": livestream, "viewers": livestream["viewers"], "pinned_message": livestream["pinned_message"]}


# GET /ws/chat/{id}/: the chat and viewer events of the same room. A partial, not a wrapper coroutine:
# a wrapper's frame would live as long as each connection.
chat_socket = functools.partial(livestream_socket, types=CHAT_TYPES)
