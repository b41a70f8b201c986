"""Where the audience services live on the app."""

from __future__ import annotations

from aiohttp import web

from audience.polls.service import Polls
from audience.reactions.service import ReactionCounter

REACTIONS = web.AppKey("reactions", ReactionCounter)
POLLS = web.AppKey("polls", Polls)
