"""Live shows as the app factory sees them: the service, its endpoints and sockets, air-time metering, peaks."""

from __future__ import annotations

from aiohttp import web

from rooms.commands import Socket, register_socket
from rooms.keys import BRIDGE, PRESENCE, VIEWERS_HOOKS
from rooms.names import RoomName
from rooms.streams import store
from rooms.streams.keys import STREAMS
from rooms.streams.metering import meter
from rooms.streams.routes import api
from rooms.streams.service import Streams
from rooms.streams.socket import CHAT_TYPES, chat_socket, livestream_socket
from server.background import periodic
from server.keys import CONFIG, DB
from server.plugin import Plugin


def build(app: web.Application) -> None:
    config = app[CONFIG]
    app[STREAMS] = Streams(app[DB], app[BRIDGE], app[PRESENCE], config.agora, config.credits)


async def record_viewers(app: web.Application, viewers: dict[RoomName, int]) -> None:
    """A show's current viewers (for lists ordered by them) and its peak (the dashboard's), kept whenever this
    process publishes a new total."""
    shows = {room.number(): n for room, n in viewers.items() if room.kind == "stream"}
    if shows:
        await store.record_viewers(app[DB], shows)


async def reminder_step(app: web.Application) -> None:
    await app[STREAMS].send_reminders(app[CONFIG].livestreams.reminder_lead_s)


reminders_ctx = periodic("show-reminders", lambda app: app[CONFIG].livestreams.reminder_sweep_s, reminder_step)


async def meter_step(app: web.Application) -> None:
    await meter(app[DB], app[BRIDGE], app[CONFIG].credits)


meter_ctx = periodic("credit-meter", lambda app: app[CONFIG].credits.meter_interval_s, meter_step)


def setup(app: web.Application) -> None:
    app.router.add_get(r"/ws/livestream/{id:\d+}/", livestream_socket)
    app.router.add_get(r"/ws/chat/{id:\d+}/", chat_socket)
    register_socket(app, Socket("/ws/livestream/{id}/", "stream", "Every event of a show's room; chat and bids."))
    register_socket(app, Socket("/ws/chat/{id}/", "stream", "The chat and viewer events of a show.", CHAT_TYPES))
    app.setdefault(VIEWERS_HOOKS, []).append(record_viewers)


plugin = Plugin(routers=(api,), lifecycles=(meter_ctx, reminders_ctx), setup=setup, build=build)
