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
from audience.routes import api
from audience.socket import ReactionFrame, VoteFrame, open_poll, react, vote
from rooms.commands import register_command, register_hello_part
from rooms.keys import BRIDGE, RELAY
from server.background import periodic
from server.keys import CONFIG, DB, REDIS
from server.plugin import Plugin


def build(app: web.Application) -> None:
    app[REACTIONS] = ReactionCounter(app[DB], app[REDIS], app[BRIDGE], app[CONFIG].rooms)
    app[POLLS] = Polls(app[DB], app[REDIS], app[RELAY], app[CONFIG].rooms.poll_update_s)
    app[MESSAGES] = Messages(app[DB], app[REDIS], app[BRIDGE])


def setup(app: web.Application) -> None:
    register_command(app, "reaction", ReactionFrame, react,
                     sign_in="Sign in to react: connect with ?token=<access token>.")
    register_command(app, "vote", VoteFrame, vote, sign_in="Sign in to vote: connect with ?token=<access token>.")
    register_hello_part(app, "stream", "poll", open_poll)


async def reactions_step(app: web.Application) -> None:
    await app[REACTIONS].flush()


async def polls_step(app: web.Application) -> None:
    await app[POLLS].send_updates()
    await app[POLLS].sweep()


# Half the interval: a room's turn (one event per interval across processes) is taken soon after it frees.
reactions_ctx = periodic("reactions", lambda app: app[CONFIG].rooms.reaction_flush_ms / 2000, reactions_step)
polls_ctx = periodic("polls", lambda app: app[CONFIG].rooms.poll_update_s, polls_step)
plugin = Plugin(routers=(api, messages_api), lifecycles=(reactions_ctx, polls_ctx), setup=setup, build=build)
