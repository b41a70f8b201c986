"""Where the rooms' process-wide objects live on the app, and the hooks features hang on the plumbing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from rooms.bridge import Bridge
from rooms.hub import Hub
from rooms.names import RoomName
from rooms.outbox import Relay
from rooms.presence import Presence
from server.tokens import Principal

BRIDGE = web.AppKey("room_bridge", Bridge)
HUB = web.AppKey("room_hub", Hub)
RELAY = web.AppKey("room_relay", Relay)
PRESENCE = web.AppKey("presence", Presence)
# Called with (app, user, online) when a user's notification socket opens (True) or their last one on
# this process closes (False): other packages hang friends' presence and broadcasts here.
UserSocketHook = Callable[[web.Application, Principal, bool], Awaitable[None]]
USER_SOCKET_HOOKS = web.AppKey("user_socket_hooks", list[UserSocketHook])
# Called with (app, room, user, joined) when a signed-in member joins a show's room on this process (True, after
# its hello) or leaves it (False): a feature that must know who is in the room (giveaway entries) hangs here.
MemberHook = Callable[[web.Application, RoomName, Principal, bool], Awaitable[None]]
MEMBER_HOOKS = web.AppKey("member_hooks", list[MemberHook])
# Called with the viewer totals this process just published (room -> viewers): the shows' peak viewers.
ViewersHook = Callable[[web.Application, dict[RoomName, int]], Awaitable[None]]
VIEWERS_HOOKS = web.AppKey("viewers_hooks", list[ViewersHook])
