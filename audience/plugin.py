"""The audience package as the app factory sees it: reactions, polls and direct messages, their frames,
endpoints and rounds."""

from __future__ import annotations

from aiohttp import web

from audience.keys import POLLS, REACTIONS
from audience.messages.keys import MESSAGES
from audience.messages.routes import api as messages_api
from audience.messages.service import Messages
from audience.polls.service import Polls
from audience.reactions.service import ReactionCounter
from audience.report.keys import REPORTS
from audience.report.routes import api as report_api
from audience.report.service import Reports
from audience.routes import api
from audience.socket import ReactionFrame, VoteFrame, open_poll, react, vote
from rooms.commands import register_command, register_hello_part
from rooms.keys import BRIDGE, MEMBER_HOOKS, PRESENCE, RELAY
from rooms.names import RoomName
from server.background import periodic
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin
from server.tokens import Principal


def build(app: web.Application) -> None:
    config = app[CONFIG]
    app[REACTIONS] = ReactionCounter(app[DB], app[REDIS], app[BRIDGE], config.rooms)
    app[POLLS] = Polls(app[DB], app[REDIS], app[RELAY], config.rooms.poll_update_s)
    app[MESSAGES] = Messages(app[DB], app[REDIS], app[BRIDGE])
    app[REPORTS] = Reports(app[DB], app[REDIS], app[PRESENCE], config.commerce.commission_bps,
                           config.livestreams.timeline_s)


async def member_changed(app: web.Application, room: RoomName, user: Principal, joined: bool) -> None:
    if joined and room.kind == "stream":
        await app[REPORTS].joined(room.number(), user.user_id)


def setup(app: web.Application) -> None:
    register_command(app, "reaction", ReactionFrame, react,
                     sign_in="Sign in to react: connect with ?token=<access token>.")
    register_command(app, "vote", VoteFrame, vote, sign_in="Sign in to vote: connect with ?token=<access token>.")
    register_hello_part(app, "stream", "poll", open_poll, personal=True)
    app.setdefault(MEMBER_HOOKS, []).append(member_changed)


async def reactions_step(app: web.Application) -> None:
    await app[REACTIONS].flush()


async def sample_step(app: web.Application) -> None:
    await app[REPORTS].sample()


async def polls_step(app: web.Application) -> None:
    await app[POLLS].send_updates()
    await app[POLLS].sweep()


# Half the interval: a room's turn (one event per interval across processes) is taken soon after it frees.
reactions_ctx = periodic("reactions", lambda app: app[CONFIG].rooms.reaction_flush_ms / 2000, reactions_step)
polls_ctx = periodic("polls", lambda app: app[CONFIG].rooms.poll_update_s, polls_step)
samples_ctx = periodic("show-samples", lambda app: app[CONFIG].livestreams.timeline_s, sample_step)
plugin = Plugin(routers=(api, messages_api, report_api), lifecycles=(reactions_ctx, polls_ctx, samples_ctx),
                setup=setup, build=build)
